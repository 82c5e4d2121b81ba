// Embedding Sluice: load an app, send events through the C++ API, read the results.
#include <cstdio>

#include "sluice/engine.h"

int main() {
  const char* app_text = R"sql(
    CREATE STREAM Trades (symbol STRING, price DOUBLE, volume BIGINT);
    INSERT INTO BigTrades
    SELECT symbol, price * volume AS notional
    FROM Trades
    WHERE price > 100;
  )sql";

  auto loaded = sluice::AppRuntime::Load(app_text);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().message().c_str());
    return 1;
  }
  std::unique_ptr<sluice::AppRuntime> app = std::move(loaded).value();
  int rows = 0;
  app->AddCallback("BigTrades", [&](const sluice::OutputBatch& out) {
    for (size_t r = 0; r < out.batch->num_rows(); ++r, ++rows)
      std::printf("%s notional=%s\n", out.batch->column(0).GetValue(r).ToString().c_str(),
                  out.batch->column(1).GetValue(r).ToString().c_str());
  });
  app->Start();
  sluice::InputHandler* trades = app->GetInputHandler("Trades");
  trades->Send(1000, {"AAPL", 101.5, int64_t{300}});
  trades->Send(1001, {"MSFT", 99.0, int64_t{100}});

  // The fast path: a columnar batch.
  sluice::Batch batch(trades->schema());
  for (int i = 0; i < 3; ++i) {
    size_t r = batch.AddRow(2000 + i);
    batch.SetString(r, 0, "GOOG");
    batch.column(1).SetDouble(r, 150.0 + i);
    batch.column(2).SetInt(r, 10);
  }
  sluice::Status st = trades->SendBatch(batch);
  if (!st.ok()) return 1;
  st = app->Shutdown();
  std::printf("%d rows\n", rows);
  return st.ok() && rows == 4 ? 0 : 1;
}
