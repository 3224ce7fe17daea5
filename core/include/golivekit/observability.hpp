#pragma once
/// \file
/// \brief golivekit-observability: Prometheus-style metrics for GoliveKit applications.
///
/// \code
/// #include <golivekit/observability.hpp>
/// namespace obs = golivekit::observability;
///
/// auto registry = obs::NewRegistry();
/// auto page_views = obs::NewCounter({.name = "myapp_page_views_total", .help = "Total page views",
///                                    .labels = {"page"}});
/// registry->Register(page_views);
/// page_views->WithLabels("/home").Inc();
/// std::string body = registry->Expose();  // serve this as /metrics
/// \endcode
///
/// The spec's Go names map to C++ as in docs/api-cpp.md; errors are values (status.h); snapshots and
/// encoders are in snapshot.h and encode.h.
#include "golivekit/observability/buckets.h"            // IWYU pragma: export
#include "golivekit/observability/callback.h"           // IWYU pragma: export
#include "golivekit/observability/client_batch.h"       // IWYU pragma: export
#include "golivekit/observability/client_metrics.h"     // IWYU pragma: export
#include "golivekit/observability/collector.h"          // IWYU pragma: export
#include "golivekit/observability/counter.h"            // IWYU pragma: export
#include "golivekit/observability/encode.h"             // IWYU pragma: export
#include "golivekit/observability/gauge.h"              // IWYU pragma: export
#include "golivekit/observability/golivekit_metrics.h"  // IWYU pragma: export
#include "golivekit/observability/histogram.h"          // IWYU pragma: export
#include "golivekit/observability/names.h"              // IWYU pragma: export
#include "golivekit/observability/registry.h"           // IWYU pragma: export
#include "golivekit/observability/snapshot.h"           // IWYU pragma: export
#include "golivekit/observability/status.h"             // IWYU pragma: export
#include "golivekit/observability/timer.h"              // IWYU pragma: export
#include "golivekit/observability/version.h"            // IWYU pragma: export
#include "golivekit/observability/web_vitals.h"         // IWYU pragma: export
