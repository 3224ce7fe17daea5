#pragma once
// An in-process PubSub, as a LiveView server has one: views subscribe to a topic ("room:lobby"), an
// event handler publishes a message to it, and every subscriber gets it. Each Publish counts one
// golivekit_pubsub_messages_total{direction="published"}, each delivery to a subscriber one
// {direction="delivered"}.
//
// Delivery is synchronous, on the publisher's thread, in subscription order. Handlers must not call
// Subscribe/Unsubscribe/Publish on the same PubSub (LiveApp calls everything under its own lock and
// its handlers only queue messages for their view).
#include <cstdint>
#include <functional>
#include <golivekit/observability.hpp>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace demo {

struct PubSubMessage {
  std::string topic;
  std::string event;  // what changed: "counter", "presence"
};

class PubSub {
 public:
  using Handler = std::function<void(const PubSubMessage&)>;

  explicit PubSub(const golivekit::observability::GoliveKitMetrics& metrics) : metrics_(metrics) {}

  /// Returns a subscription id for Unsubscribe.
  std::uint64_t Subscribe(const std::string& topic, Handler handler);
  void Unsubscribe(std::uint64_t id);
  /// Delivers `msg` to every subscriber of msg.topic; returns how many got it.
  std::size_t Publish(const PubSubMessage& msg);
  [[nodiscard]] std::size_t subscriptions() const;

 private:
  struct Subscription {
    std::string topic;
    Handler handler;
  };
  const golivekit::observability::GoliveKitMetrics& metrics_;
  mutable std::mutex mu_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Subscription> subs_;          // id -> subscription
  std::multimap<std::string, std::uint64_t> by_topic_;  // topic -> ids
};

}  // namespace demo
