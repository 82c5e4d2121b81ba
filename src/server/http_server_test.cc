#include "server/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "server/metrics_text.h"
#include "server/stream_tail.h"

namespace sluice::server {
namespace {

// A loaded app with its server: what every test here starts from.
struct Served {
  explicit Served(const std::string& app_text, const std::string& token = "") {
    auto loaded = AppRuntime::Load(app_text, AppOptions{});
    EXPECT_TRUE(loaded.ok()) << loaded.status().message();
    if (!loaded.ok()) return;
    app = std::move(loaded).value();
  }
  // After the callbacks are added: starts the app, then the server.
  void Start(const std::string& token = "") {
    ASSERT_TRUE(app->Start().ok());
    ServerOptions o;
    o.token = token;
    auto s = HttpServer::Start(app.get(), o);
    ASSERT_TRUE(s.ok()) << s.status().message();
    server = std::move(s).value();
    client = std::make_unique<httplib::Client>("127.0.0.1", server->port());
  }
  ~Served() {
    client.reset();
    server.reset();
    if (app) app->Shutdown();
  }
  std::unique_ptr<AppRuntime> app;
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<httplib::Client> client;
};

bool Has(const std::string& body, const std::string& part) {
  return body.find(part) != std::string::npos;
}

TEST(HttpServerTest, ServesPrometheusMetricsAndHealth) {
  Served s(
      "CREATE STREAM S (x INT);\n"
      "@name('positive') INSERT INTO O SELECT x FROM S WHERE x > 0;\n");
  s.Start();
  InputHandler* in = s.app->GetInputHandler("S");
  for (int x : {1, -2, 3}) ASSERT_TRUE(in->Send(0, {int32_t{x}}).ok());

  auto metrics = s.client->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_TRUE(Has(metrics->body, "# TYPE sluice_query_events_in_total counter"));
  EXPECT_TRUE(Has(metrics->body, "sluice_query_events_in_total{query=\"positive\"} 3\n"))
      << metrics->body;
  EXPECT_TRUE(Has(metrics->body, "sluice_query_filtered_total{query=\"positive\"} 1\n"));
  EXPECT_TRUE(Has(metrics->body, "sluice_stream_events_total{stream=\"O\"} 2\n"));

  auto health = s.client->Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_TRUE(Has(health->body, "{\"status\":\"ok\",\"health\":100")) << health->body;
  auto ready = s.client->Get("/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
}

TEST(HttpServerTest, MetricsDeclaredInTheAppAreExported) {
  Served s(
      "CREATE STREAM T (symbol STRING, volume BIGINT, price DECIMAL(10,2));\n"
      "-- @metric: big_trades_total\n"
      "-- @metric_labels: symbol\n"
      "-- @metric_condition: volume > 100\n"
      "-- @metric: last_price\n"
      "-- @metric_type: gauge\n"
      "-- @metric_field: price\n"
      "-- @metric_labels: symbol\n"
      "-- @metric: volume\n"
      "-- @metric_type: histogram\n"
      "-- @metric_field: volume\n"
      "-- @metric_buckets: 10, 100\n"
      "-- @metric: few_symbols\n"
      "-- @metric_labels: symbol\n"
      "-- @metric_max_series: 1\n"
      "INSERT INTO O SELECT symbol, volume, price FROM T;\n");
  s.Start();
  InputHandler* in = s.app->GetInputHandler("T");
  ASSERT_TRUE(in->Send(0, {"A", int64_t{500}, "1.50"}).ok());
  ASSERT_TRUE(in->Send(0, {"B", int64_t{5}, "2.25"}).ok());
  ASSERT_TRUE(in->Send(0, {"A", int64_t{50}, "1.75"}).ok());
  ASSERT_TRUE(in->Send(0, {"A", int64_t{101}, "1.60"}).ok());
  auto r = s.client->Get("/metrics");
  ASSERT_TRUE(r);
  const std::string& m = r->body;
  EXPECT_TRUE(Has(m, "# TYPE big_trades_total counter\nbig_trades_total{symbol=\"A\"} 2\n")) << m;
  EXPECT_FALSE(Has(m, "big_trades_total{symbol=\"B\"}")) << m;
  EXPECT_TRUE(Has(m, "last_price{symbol=\"A\"} 1.6000000000000001\n")) << m;
  EXPECT_TRUE(Has(m, "last_price{symbol=\"B\"} 2.25\n")) << m;
  EXPECT_TRUE(Has(m,
                  "# TYPE volume histogram\nvolume_bucket{le=\"10\"} 1\nvolume_bucket{le=\"100\"} "
                  "2\nvolume_bucket{le=\"+Inf\"} 4\nvolume_sum 656\nvolume_count 4\n"))
      << m;
  EXPECT_TRUE(Has(m, "few_symbols{symbol=\"A\"} 3\n")) << m;
  EXPECT_TRUE(Has(m, "sluice_metric_dropped_total{metric=\"few_symbols\"} 1\n")) << m;
  EXPECT_TRUE(Has(m, "sluice_metric_dropped_total{metric=\"volume\"} 0\n")) << m;
}

TEST(HttpServerTest, UnknownPathsAndWrongMethodsAreJsonErrors) {
  Served s("CREATE STREAM S (x INT);\nINSERT INTO O SELECT x FROM S;\n");
  s.Start();
  auto nope = s.client->Get("/nope");
  ASSERT_TRUE(nope);
  EXPECT_EQ(nope->status, 404);
  EXPECT_TRUE(Has(nope->body,
                  "{\"error\":\"nothing answers GET /nope here; the API has GET "
                  "/api/app"))
      << nope->body;
  auto post = s.client->Post("/metrics", "", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->get_header_value("Allow"), "GET");
  auto get = s.client->Get("/api/streams/S");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 405) << get->body;
}

TEST(HttpServerTest, DescribesTheAppWithItsQueriesAndTheirOperators) {
  Served s(
      "CREATE STREAM Trades (symbol STRING, price DOUBLE) WITH ('event.time.field'='price');\n"
      "@info(name='Avg') INSERT INTO Out SELECT symbol, avg(price) AS p FROM Trades "
      "WINDOW TUMBLING(10 SECONDS) GROUP BY symbol;\n"
      "CREATE TABLE Prices (symbol STRING PRIMARY KEY, price DOUBLE);\n"
      "INSERT INTO Prices SELECT symbol, price FROM Trades;\n");
  s.Start();
  auto app = s.client->Get("/api/app");
  ASSERT_TRUE(app);
  EXPECT_EQ(app->status, 200);
  const std::string& b = app->body;
  EXPECT_TRUE(Has(b, "\"status\":\"running\"")) << b;
  EXPECT_TRUE(Has(b,
                  "{\"name\":\"Trades\",\"kind\":\"stream\",\"schema\":[{\"name\":"
                  "\"symbol\",\"type\":\"STRING\"},{\"name\":\"price\",\"type\":"
                  "\"DOUBLE\"}],\"defined_at\":\"<app>:1:15\",\"event_time_field\":"
                  "\"price\""))
      << b;
  EXPECT_TRUE(Has(b, "\"tables\":[{\"name\":\"Prices\",\"kind\":\"table\"")) << b;
  EXPECT_TRUE(Has(b, "\"primary_key\":[\"symbol\"]")) << b;
  EXPECT_TRUE(Has(b,
                  "{\"id\":\"Avg\",\"name\":\"Avg\",\"sql\":\"INSERT INTO Out SELECT "
                  "symbol, avg(price) AS p FROM Trades WINDOW TUMBLING(10 SECONDS) GROUP BY "
                  "symbol\",\"defined_at\":\"<app>:2:19\""))
      << b;
  EXPECT_TRUE(Has(b, "\"inputs\":[\"Trades\"],\"target\":\"Out\"")) << b;
  EXPECT_TRUE(Has(b, "\"target\":\"Prices\"")) << b;

  auto q = s.client->Get("/api/queries/Avg");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->status, 200);
  EXPECT_TRUE(Has(q->body, "\"operators\":[{\"id\":\"Avg/")) << q->body;
  EXPECT_TRUE(Has(q->body, "\"stateful\":true")) << q->body;
  EXPECT_TRUE(Has(q->body, "\"counters\":{\"events_in\":0,")) << q->body;
  auto all = s.client->Get("/api/queries");
  ASSERT_TRUE(all);
  EXPECT_TRUE(Has(all->body, "{\"queries\":[{\"id\":\"Avg\"")) << all->body;
  auto missing = s.client->Get("/api/queries/Nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_TRUE(Has(missing->body, "no query 'Nope'; the app's queries are Avg, ")) << missing->body;
}

TEST(HttpServerTest, TakesEventsAsJsonLinesArraysAndCsvAllOrNothing) {
  Served s("CREATE STREAM S (id INT, name STRING);\nINSERT INTO O SELECT id, name FROM S;\n");
  std::mutex mu;
  std::vector<std::string> got;
  ASSERT_TRUE(s.app
                  ->AddCallback("O",
                                [&](const OutputBatch& out) {
                                  std::lock_guard<std::mutex> lock(mu);
                                  for (size_t r = 0; r < out.batch->num_rows(); ++r)
                                    got.push_back(out.batch->column(1).GetValue(r).ToString());
                                })
                  .ok());
  s.Start();
  auto lines = s.client->Post("/api/streams/S", "{\"id\":1,\"name\":\"a\"}\n[2,\"b\"]\n",
                              "application/x-ndjson");
  ASSERT_TRUE(lines);
  EXPECT_EQ(lines->status, 202) << lines->body;
  EXPECT_EQ(lines->body, "{\"accepted\":2}\n");
  auto array = s.client->Post("/api/streams/S", "[{\"id\":3,\"name\":\"c\"}]", "application/json");
  ASSERT_TRUE(array);
  EXPECT_EQ(array->status, 202) << array->body;
  auto csv = s.client->Post("/api/streams/S", "4,d\n", "text/csv");
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->status, 202) << csv->body;
  // One bad event: nothing of the body is taken, and the bad one is counted as malformed.
  auto bad = s.client->Post("/api/streams/S", "{\"id\":5,\"name\":\"e\"}\n{\"id\":\"x\"}\n",
                            "application/x-ndjson");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_TRUE(Has(bad->body, "1 malformed event(s), nothing was taken: line 2: ")) << bad->body;
  auto table = s.client->Post("/api/streams/Nope", "{}", "application/json");
  ASSERT_TRUE(table);
  EXPECT_EQ(table->status, 404);
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(got, (std::vector<std::string>{"'a'", "'b'", "'c'", "'d'"}));
  }
  for (const StreamStats& st : s.app->Stats().streams) {
    if (st.name != "S") continue;
    EXPECT_EQ(st.malformed, 1u);
  }
}

TEST(HttpServerTest, TailsAStreamAsNdjsonAndServerSentEvents) {
  Served s("CREATE STREAM S (x INT);\nINSERT INTO O SELECT x * 10 AS y FROM S;\n");
  s.Start();
  for (const std::string format : {"ndjson", "sse"}) {
    std::string body;
    std::atomic<bool> done{false};
    std::thread reader([&] {
      httplib::Client c("127.0.0.1", s.server->port());
      c.Get("/api/streams/O/events?limit=3&format=" + format, [&](const char* data, size_t n) {
        body.append(data, n);
        return true;
      });
      done.store(true);
    });
    // The tail starts when its request arrives: send until it has seen three events.
    InputHandler* in = s.app->GetInputHandler("S");
    for (int x = 1; !done.load() && x < 500; ++x) {
      EXPECT_TRUE(in->Send(x, {int32_t{x}}).ok());  // no ASSERT: the reader must be joined
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    reader.join();
    if (format == "ndjson") {
      EXPECT_TRUE(Has(body, ",\"op\":\"+I\",\"data\":{\"y\":")) << body;
      EXPECT_EQ(std::count(body.begin(), body.end(), '\n'), 3) << body;
    } else {
      EXPECT_EQ(body.rfind("data: {\"ts\":", 0), 0u) << body;
      EXPECT_EQ(std::count(body.begin(), body.end(), '\n'), 6) << body;
    }
  }
  auto missing = s.client->Get("/api/streams/Nope/events");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST(HttpServerTest, ATailThatFallsBehindSkipsEventsAndSaysHowMany) {
  TailBuffer tail(/*capacity=*/2, /*limit=*/0);
  Schema schema;
  schema.Add("x", DataType::Int());
  Batch batch(schema);
  for (int x = 0; x < 5; ++x) batch.SetValue(batch.AddRow(x), 0, Value(int32_t{x}));
  tail.Add(OutputBatch{"S", &schema, &batch});
  std::vector<std::string> lines;
  EXPECT_EQ(tail.Take(std::chrono::milliseconds(0), &lines), 3u);
  EXPECT_EQ(lines, (std::vector<std::string>{"{\"ts\":0,\"op\":\"+I\",\"data\":{\"x\":0}}",
                                             "{\"ts\":1,\"op\":\"+I\",\"data\":{\"x\":1}}"}));
  lines.clear();
  EXPECT_EQ(tail.Take(std::chrono::milliseconds(0), &lines), 0u);
  EXPECT_TRUE(lines.empty());
  TailBuffer limited(10, 2);
  limited.Add(OutputBatch{"S", &schema, &batch});
  EXPECT_FALSE(limited.Ended());
  limited.Take(std::chrono::milliseconds(0), &lines);
  EXPECT_TRUE(limited.Ended());
}

TEST(HttpServerTest, ReadsATableByKeyAndWhole) {
  Served s(
      "CREATE STREAM S (id INT, name STRING);\n"
      "CREATE TABLE T (id INT PRIMARY KEY, name STRING);\n"
      "INSERT INTO T SELECT id, name FROM S;\n");
  s.Start();
  InputHandler* in = s.app->GetInputHandler("S");
  ASSERT_TRUE(in->Send(0, {int32_t{1}, "one"}).ok());
  ASSERT_TRUE(in->Send(0, {int32_t{2}, "two"}).ok());
  auto one = s.client->Get("/api/tables/T?key=2");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->status, 200);
  EXPECT_EQ(one->body,
            "{\"table\":\"T\",\"rows\":[{\"id\":2,\"name\":\"two\"}],\"truncated\":false}\n");
  auto none = s.client->Get("/api/tables/T?key=3");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->body, "{\"table\":\"T\",\"rows\":[],\"truncated\":false}\n");
  auto all = s.client->Get("/api/tables/T");
  ASSERT_TRUE(all);
  EXPECT_TRUE(Has(all->body, "[{\"id\":1,\"name\":\"one\"},{\"id\":2,")) << all->body;
  auto first = s.client->Get("/api/tables/T?limit=1");
  ASSERT_TRUE(first);
  EXPECT_TRUE(Has(first->body, "[{\"id\":1,\"name\":\"one\"}],\"truncated\":true")) << first->body;
  auto bad = s.client->Get("/api/tables/T?key=abc");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_TRUE(Has(bad->body, "for key column 'id'")) << bad->body;
  auto two = s.client->Get("/api/tables/T?key=1&key=2");
  ASSERT_TRUE(two);
  EXPECT_EQ(two->status, 400);
  EXPECT_TRUE(Has(two->body, "has a key of 1 column(s), got 2 value(s)")) << two->body;
  auto stream = s.client->Get("/api/tables/S");
  ASSERT_TRUE(stream);
  EXPECT_EQ(stream->status, 404);
  EXPECT_TRUE(Has(stream->body, "is a stream, not a table")) << stream->body;
}

TEST(HttpServerTest, RunsStatementsAsJsonOrAsATable) {
  Served s(
      "CREATE STREAM S (id INT, name STRING);\n"
      "CREATE TABLE T (id INT PRIMARY KEY, name STRING);\n"
      "INSERT INTO T SELECT id, name FROM S;\n");
  s.Start();
  ASSERT_TRUE(s.app->GetInputHandler("S")->Send(0, {int32_t{7}, "seven"}).ok());
  auto json = s.client->Post("/api/query", "SELECT name FROM T WHERE id = 7", "text/plain");
  ASSERT_TRUE(json);
  EXPECT_EQ(json->status, 200);
  EXPECT_EQ(json->body,
            "{\"columns\":[{\"name\":\"name\",\"type\":\"STRING\"}],\"rows\":[{\"name\":"
            "\"seven\"}],\"text\":\"\"}\n");
  auto wrapped = s.client->Post("/api/query", "{\"sql\": \"SHOW TABLES\"}", "application/json");
  ASSERT_TRUE(wrapped);
  EXPECT_EQ(wrapped->status, 200);
  EXPECT_TRUE(Has(wrapped->body, "\"rows\":[{\"name\":\"T\",\"key\":\"id\"")) << wrapped->body;
  auto table = s.client->Post("/api/query?format=text", "SELECT * FROM T", "text/plain");
  ASSERT_TRUE(table);
  EXPECT_EQ(table->body, " id | name\n----+-------\n 7  | seven\n(1 row)\n");
  auto bad = s.client->Post("/api/query", "SELECT * FROM S", "text/plain");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_TRUE(Has(bad->body, "{\"error\":\"<statement>:1:15: error: 'S' is a stream")) << bad->body;
  auto not_json = s.client->Post("/api/query", "{\"sq\": 1}", "application/json");
  ASSERT_TRUE(not_json);
  EXPECT_EQ(not_json->status, 400);
  EXPECT_TRUE(Has(not_json->body, "{\\\"sql\\\": \\\"...\\\"}")) << not_json->body;
}

TEST(HttpServerTest, ListsTheNewestFaultsOfEveryFaultStream) {
  Served s(
      "@onError(action='stream')\n"
      "CREATE STREAM S (data STRING);\n"
      "INSERT INTO Parsed SELECT CAST(data AS BIGINT) AS n FROM S;\n");
  s.Start();
  InputHandler* in = s.app->GetInputHandler("S");
  ASSERT_TRUE(in->Send(1, {"42"}).ok());
  ASSERT_TRUE(in->Send(2, {"forty-two"}).ok());
  ASSERT_TRUE(in->Send(3, {"x"}).ok());
  auto faults = s.client->Get("/api/faults");
  ASSERT_TRUE(faults);
  EXPECT_EQ(faults->status, 200);
  EXPECT_TRUE(Has(faults->body,
                  "{\"faults\":[{\"stream\":\"!S\",\"ts\":3,\"op\":\"+I\","
                  "\"data\":{\"data\":\"x\",\"_error\":"))
      << faults->body;
  EXPECT_TRUE(Has(faults->body, "\"ts\":2,")) << faults->body;
  auto one = s.client->Get("/api/faults?limit=1");
  ASSERT_TRUE(one);
  EXPECT_FALSE(Has(one->body, "\"ts\":2,")) << one->body;
}

TEST(HttpServerTest, ATokenGuardsTheApiButNotHealthReadyAndMetrics) {
  Served s("CREATE STREAM S (x INT);\nINSERT INTO O SELECT x FROM S;\n");
  s.Start("s3cret");
  auto denied = s.client->Get("/api/app");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);
  EXPECT_TRUE(Has(denied->body, "send 'Authorization: Bearer <token>'")) << denied->body;
  auto wrong = s.client->Get("/api/app", {{"Authorization", "Bearer guess"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto right = s.client->Get("/api/app", {{"Authorization", "Bearer s3cret"}});
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200);
  auto lower = s.client->Get("/api/app", {{"Authorization", "bearer s3cret"}});
  ASSERT_TRUE(lower);
  EXPECT_EQ(lower->status, 200);
  auto param = s.client->Get("/api/app?access_token=s3cret");
  ASSERT_TRUE(param);
  EXPECT_EQ(param->status, 200);
  for (const char* open : {"/health", "/ready", "/metrics"}) {
    auto r = s.client->Get(open);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << open;
  }
}

TEST(HttpServerTest, SecretsInOptionsAreHidden) {
  Served s(
      "CREATE STREAM S (x INT);\n"
      "CREATE STREAM H (x INT) WITH ('type'='sink', 'connector'='http', "
      "'url'='http://u:pw@127.0.0.1:1/in', 'header.Authorization'='Bearer s3cret', "
      "'header.X-Api-Key'='k3y', 'retry.max'='0');\n"
      "INSERT INTO H SELECT x FROM S;\n");
  s.Start();
  auto app = s.client->Get("/api/app");
  ASSERT_TRUE(app);
  EXPECT_FALSE(Has(app->body, "s3cret")) << app->body;
  EXPECT_FALSE(Has(app->body, "k3y")) << app->body;
  EXPECT_FALSE(Has(app->body, ":pw@")) << app->body;
  EXPECT_TRUE(Has(app->body, "\"header.Authorization\":\"***\"")) << app->body;
  EXPECT_TRUE(Has(app->body, "\"retry.max\":\"0\"")) << app->body;
}

TEST(HttpServerTest, AnEventWithoutItsTimeRefusesTheWholeBody) {
  Served s(
      "CREATE STREAM S (id INT, at BIGINT) WITH ('event.time.field'='at');\n"
      "INSERT INTO O SELECT id FROM S;\n");
  s.Start();
  auto r =
      s.client->Post("/api/streams/S", "{\"id\":1,\"at\":5}\n{\"id\":2}\n", "application/x-ndjson");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(Has(r->body, "line 2: no event time: 'at' is missing or null")) << r->body;
  for (const StreamStats& st : s.app->Stats().streams) {
    if (st.name != "O") continue;
    EXPECT_EQ(st.events, 0u);  // the first event was not sent either
  }
}

TEST(HttpServerTest, AMetricsOnlyServerAnswersNothingElse) {
  auto loaded = AppRuntime::Load("CREATE STREAM S (x INT);\nINSERT INTO O SELECT x FROM S;\n");
  ASSERT_TRUE(loaded.ok());
  ServerOptions o;
  o.metrics_only = true;
  auto server = HttpServer::Start(loaded->get(), o);
  ASSERT_TRUE(server.ok());
  httplib::Client c("127.0.0.1", (*server)->port());
  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  auto api = c.Get("/api/app");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 404);
  EXPECT_TRUE(Has(api->body, "answers only /metrics, /health and /ready")) << api->body;
  auto post = c.Post("/api/streams/S", "{\"x\":1}", "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 404);
}

TEST(HttpServerTest, ASecondServerCannotTakeTheSamePort) {
  Served s("CREATE STREAM S (x INT);\nINSERT INTO O SELECT x FROM S;\n");
  s.Start();
  ServerOptions o;
  o.port = s.server->port();
  auto second = HttpServer::Start(s.app.get(), o);
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(Has(second.status().message(), "(is the port in use?)")) << second.status().message();
}

TEST(HttpServerTest, ParsesListenAddresses) {
  ServerOptions o;
  ASSERT_TRUE(ParseListenAddress("127.0.0.1:8080", &o).ok());
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 8080);
  ASSERT_TRUE(ParseListenAddress(":0", &o).ok());
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 0);
  ASSERT_TRUE(ParseListenAddress("9000", &o).ok());
  EXPECT_EQ(o.port, 9000);
  ASSERT_TRUE(ParseListenAddress("[::1]:81", &o).ok());
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.port, 81);
  EXPECT_FALSE(ParseListenAddress("host:99999", &o).ok());
  EXPECT_FALSE(ParseListenAddress("host:", &o).ok());
  EXPECT_FALSE(ParseListenAddress("[::1]", &o).ok());
}

TEST(MetricsTextTest, HealthIsUnhealthyWhenAQueryFailsOften) {
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

TEST(MetricsTextTest, CheckpointsAreMetricsOnlyWithAStateDir) {
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
