#include "pubsub.h"

#include <utility>

namespace obs = golivekit::observability;

namespace demo {

std::uint64_t PubSub::Subscribe(const std::string& topic, Handler handler) {
  std::lock_guard lock(mu_);
  const std::uint64_t id = next_id_++;
  subs_.emplace(id, Subscription{topic, std::move(handler)});
  by_topic_.emplace(topic, id);
  return id;
}

void PubSub::Unsubscribe(std::uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = subs_.find(id);
  if (it == subs_.end()) return;
  auto [first, last] = by_topic_.equal_range(it->second.topic);
  for (auto t = first; t != last; ++t) {
    if (t->second == id) {
      by_topic_.erase(t);
      break;
    }
  }
  subs_.erase(it);
}

std::size_t PubSub::Publish(const PubSubMessage& msg) {
  std::vector<Handler> handlers;
  {
    std::lock_guard lock(mu_);
    auto [first, last] = by_topic_.equal_range(msg.topic);
    for (auto t = first; t != last; ++t) handlers.push_back(subs_.at(t->second).handler);
  }
  obs::RecordPubSub(metrics_, obs::kPubSubPublished);
  for (const auto& h : handlers) {
    h(msg);
    obs::RecordPubSub(metrics_, obs::kPubSubDelivered);
  }
  return handlers.size();
}

std::size_t PubSub::subscriptions() const {
  std::lock_guard lock(mu_);
  return subs_.size();
}

}  // namespace demo
