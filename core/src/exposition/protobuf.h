#pragma once
// The protobuf encoder (protobuf.cc), called by Encode for Format::kProtobuf.

#include <string>

#include "golivekit/observability/snapshot.h"

namespace golivekit::observability::detail {

// Appends one length-delimited io.prometheus.client.MetricFamily per family of `snapshot` to `out`.
void EncodeProtobuf(const Snapshot& snapshot, std::string& out);

}  // namespace golivekit::observability::detail
