#include "golivekit/observability/callback.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "golivekit/observability/encode.h"
#include "golivekit/observability/names.h"
#include "message.h"
#include "record/declaration.h"
#include "snapshot/sort.h"

namespace golivekit::observability {

void CallbackSink::Add(std::initializer_list<std::string_view> label_values, double value) {
  Add(std::span<const std::string_view>(label_values.begin(), label_values.size()), value);
}

void CallbackSink::Add(std::span<const std::string_view> label_values, double value) {
  if (!error_.ok()) return;
  error_ = metric_.AddSeries(label_values, value, series_);
}

void CallbackSink::Add(const std::vector<std::string>& label_values, double value) {
  std::vector<std::string_view> v(label_values.begin(), label_values.end());
  Add(std::span<const std::string_view>(v), value);
}

namespace detail {
namespace {

std::string Series(const std::vector<std::string>& names, const std::vector<std::string>& values) {
  std::string s = "{";
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (i) s += ",";
    s += names[i] + "=\"" + values[i] + "\"";
  }
  return s + "}";
}

}  // namespace

CallbackMetric::CallbackMetric(MetricType type, std::string name, std::string help,
                               std::vector<std::string> labels, ReadFn read, FillFn fill, bool multi)
    : type_(type),
      name_(std::move(name)),
      help_(std::move(help)),
      labels_(std::move(labels)),
      read_(std::move(read)),
      fill_(std::move(fill)),
      multi_(multi) {
  const std::string k = kind();
  status_ = CheckFamilyDecl(k, type_, name_, help_, labels_);
  if (status_.ok() && !multi_ && !labels_.empty()) {
    status_ =
        Fail(StatusCode::kInvalidArgument, "{} {}: a label-less callback metric cannot have labels (use {})",
             {k, name_, type_ == MetricType::kCounter ? "NewCallbackCounterVec" : "NewCallbackGaugeVec"});
  } else if (status_.ok() && (multi_ ? !fill_ : !read_)) {
    status_ = Fail(StatusCode::kInvalidArgument, "{} {}: no callback (empty std::function)", {k, name_});
  }
  LabelOrder order = SortLabels(labels_);
  sorted_labels_ = std::move(order.names);
  perm_ = std::move(order.positions);
}

const char* CallbackMetric::kind() const noexcept {
  return type_ == MetricType::kCounter ? "callback counter" : "callback gauge";
}

std::vector<Descriptor> CallbackMetric::Describe() const {
  return {Descriptor{.name = name_, .help = help_, .type = type_, .label_names = labels_}};
}

Status CallbackMetric::CheckValue(double value) const {
  if (type_ == MetricType::kCounter && (std::isnan(value) || value < 0)) {
    return Fail(
        StatusCode::kInvalidArgument,
        "{} {}: the callback returned {}, which a counter cannot expose (family left out of this scrape)",
        {kind(), name_, value});
  }
  return {};
}

Status CallbackMetric::AddSeries(std::span<const std::string_view> values, double value,
                                 std::vector<SeriesSnapshot>& out) const {
  if (values.size() != labels_.size()) {
    return Fail(StatusCode::kInvalidArgument, "{} {}: {} label value(s) reported for {} label name(s)",
                {kind(), name_, values.size(), labels_.size()});
  }
  SeriesSnapshot s;
  s.label_values.reserve(values.size());
  for (const std::uint32_t i : perm_) {
    if (!IsValidUtf8(values[i])) {
      return Fail(StatusCode::kInvalidArgument, "{} {}: value of label \"{}\" is not valid UTF-8",
                  {kind(), name_, labels_[i]});
    }
    s.label_values.emplace_back(values[i]);
  }
  if (Status st = CheckValue(value); !st.ok()) {
    std::vector<std::string> decl(values.begin(), values.end());
    return Fail(StatusCode::kInvalidArgument, "{} for series {}", {st.message(), Series(labels_, decl)});
  }
  s.value = value;
  out.push_back(std::move(s));
  return {};
}

double CallbackMetric::Read() const {
  if (!status_.ok() || multi_) return 0;
  return read_();
}

Status CallbackMetric::Collect(std::vector<FamilySnapshot>& out) const {
  if (!status_.ok()) return status_;
  FamilySnapshot f{.name = name_, .help = help_, .type = type_, .label_names = sorted_labels_};
  if (!multi_) {
    const double v = read_();
    if (Status st = CheckValue(v); !st.ok()) return st;
    f.series.push_back(SeriesSnapshot{.label_values = {}, .value = v});
  } else {
    CallbackSink sink(*this, f.series);
    fill_(sink);
    if (!sink.status().ok()) return sink.status();
    detail::SortBy(f.series, [](const SeriesSnapshot& a, const SeriesSnapshot& b) {
      return a.label_values < b.label_values;
    });
    for (std::size_t i = 1; i < f.series.size(); ++i) {
      if (f.series[i - 1].label_values == f.series[i].label_values) {
        return Fail(StatusCode::kInvalidArgument,
                    "{} {}: series {} reported twice in one collection (family left out of this scrape)",
                    {kind(), name_, Series(sorted_labels_, f.series[i].label_values)});
      }
    }
  }
  out.push_back(std::move(f));
  return {};
}

}  // namespace detail

CallbackGauge::CallbackGauge(GaugeOpts opts, ReadFn read)
    : CallbackMetric(MetricType::kGauge, std::move(opts.name), std::move(opts.help), std::move(opts.labels),
                     std::move(read), nullptr, false) {}

CallbackGauge::CallbackGauge(GaugeOpts opts, FillFn fill)
    : CallbackMetric(MetricType::kGauge, std::move(opts.name), std::move(opts.help), std::move(opts.labels),
                     nullptr, std::move(fill), true) {}

CallbackCounter::CallbackCounter(CounterOpts opts, ReadFn read)
    : CallbackMetric(MetricType::kCounter, std::move(opts.name), std::move(opts.help), std::move(opts.labels),
                     std::move(read), nullptr, false) {}

CallbackCounter::CallbackCounter(CounterOpts opts, FillFn fill)
    : CallbackMetric(MetricType::kCounter, std::move(opts.name), std::move(opts.help), std::move(opts.labels),
                     nullptr, std::move(fill), true) {}

std::shared_ptr<CallbackGauge> NewCallbackGauge(GaugeOpts opts, std::function<double()> read) {
  return std::make_shared<CallbackGauge>(std::move(opts), std::move(read));
}

std::shared_ptr<CallbackCounter> NewCallbackCounter(CounterOpts opts, std::function<double()> read) {
  return std::make_shared<CallbackCounter>(std::move(opts), std::move(read));
}

std::shared_ptr<CallbackGauge> NewCallbackGaugeVec(GaugeOpts opts, std::function<void(CallbackSink&)> fill) {
  return std::make_shared<CallbackGauge>(std::move(opts), std::move(fill));
}

std::shared_ptr<CallbackCounter> NewCallbackCounterVec(CounterOpts opts,
                                                       std::function<void(CallbackSink&)> fill) {
  return std::make_shared<CallbackCounter>(std::move(opts), std::move(fill));
}

}  // namespace golivekit::observability
