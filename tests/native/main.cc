// The native suite's main: doctest, after one warm-up exchange with a cpp-httplib server.
//
// Why the warm-up: libcpp-httplib.so is not built with ThreadSanitizer. Its function-local statics (the
// request-method set of the server's request-line parser, the client's status-line regex, …) are
// initialized by whichever thread gets there first, and the other threads then take the compiler's
// inlined "already initialized" fast path: an acquire load that TSan cannot see in uninstrumented code,
// so it reports a race on the static's memory between two worker threads. Initializing those statics
// here, before any test starts a thread (server workers are joined before main goes on), gives TSan
// the happens-before edges it needs, without suppressing anything. Harmless in the other builds.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <thread>

namespace {

bool WarmUpHttplib() {
  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(1); };
  server.Get("/w", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(2048, 'x'), "text/plain; version=0.0.4; charset=utf-8");
  });
  server.Post("/w", [](const httplib::Request&, httplib::Response& res) { res.status = 405; });
  const int port = server.bind_to_any_port("127.0.0.1");
  if (port <= 0) return false;
  std::thread listener([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  bool ok = true;
  {
    httplib::Client cli("127.0.0.1", port);
    cli.set_keep_alive(true);
    const httplib::Headers headers{{"Accept", "application/openmetrics-text;version=1.0.0,*/*;q=0.1"},
                                   {"Accept-Encoding", "gzip, br"}};
    ok = ok && cli.Get("/w?name[]=a&x=%5B", headers);
    ok = ok && cli.Head("/w", headers);
    ok = ok && cli.Post("/w", "x", "text/plain");
    ok = ok && cli.Get("/missing");
    cli.set_decompress(false);
    ok = ok && cli.Get("/w", headers);
  }
  server.stop();
  listener.join();
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (!WarmUpHttplib()) std::fprintf(stderr, "warning: the cpp-httplib warm-up exchange failed\n");
  doctest::Context context(argc, argv);
  return context.run();
}
