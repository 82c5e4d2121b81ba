#include "server/metrics_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sluice::server {
namespace {

// One HTTP exchange over loopback: the whole response, status line included.
std::string Get(int port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  ::send(fd, request.data(), request.size(), 0);
  std::string response;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) response.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return response;
}

TEST(MetricsServerTest, ServesPrometheusMetricsAndHealth) {
  auto loaded = AppRuntime::Load(
      "CREATE STREAM S (x INT);\n"
      "@name('positive') INSERT INTO O SELECT x FROM S WHERE x > 0;\n",
      AppOptions{});
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  std::unique_ptr<AppRuntime> app = std::move(loaded).value();
  ASSERT_TRUE(app->Start().ok());
  InputHandler* in = app->GetInputHandler("S");
  for (int x : {1, -2, 3}) ASSERT_TRUE(in->Send(0, {int32_t{x}}).ok());

  auto server = MetricsServer::Start(app.get(), 0);
  ASSERT_TRUE(server.ok()) << server.status().message();
  int port = server.value()->port();
  ASSERT_GT(port, 0);

  std::string metrics = Get(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(metrics.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << metrics;
  EXPECT_NE(metrics.find("# TYPE sluice_query_events_in_total counter"), std::string::npos);
  EXPECT_NE(metrics.find("sluice_query_events_in_total{query=\"positive\"} 3\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("sluice_query_filtered_total{query=\"positive\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics.find("sluice_stream_events_total{stream=\"O\"} 2\n"), std::string::npos);

  std::string health = Get(port, "GET /health HTTP/1.1\r\n\r\n");
  EXPECT_EQ(health.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << health;
  EXPECT_NE(health.find("{\"status\":\"ok\",\"health\":100"), std::string::npos) << health;

  EXPECT_EQ(Get(port, "GET /nope HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(Get(port, "POST /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 405", 0), 0u);
  ASSERT_TRUE(app->Shutdown().ok());
}

TEST(MetricsServerTest, HealthIsUnhealthyWhenAQueryFailsOften) {
  AppStats stats;
  QueryStats q;
  q.name = "q\"1";
  q.health = 50;
  stats.queries.push_back(q);
  int status = 0;
  EXPECT_EQ(
      HealthJson(stats, &status),
      "{\"status\":\"degraded\",\"health\":50,\"parts\":[{\"query\":\"q\\\"1\",\"health\":50}]}\n");
  EXPECT_EQ(status, 200);
  stats.queries[0].health = 20;
  HealthJson(stats, &status);
  EXPECT_EQ(status, 503);
}

TEST(MetricsServerTest, CheckpointsAreMetricsOnlyWithAStateDir) {
  AppStats stats;
  EXPECT_EQ(PrometheusText(stats).find("sluice_checkpoint"), std::string::npos);
  stats.checkpoints.enabled = true;
  stats.checkpoints.completed = 3;
  stats.checkpoints.last_pause_us = 1500;
  stats.checkpoints.last_age_ms = 2000;
  std::string text = PrometheusText(stats);
  EXPECT_NE(text.find("sluice_checkpoints_completed_total 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sluice_checkpoint_last_pause_seconds 0.0015\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sluice_checkpoint_age_seconds 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE sluice_checkpoints_failed_total counter"), std::string::npos);
}

}  // namespace
}  // namespace sluice::server
