// The input of one stream (InputHandler): checks and converts what is sent, stamps event times
// from the stream's attribute, and publishes it into the stream's entry (its junction, or its
// async queues). Sends never wait for each other: each claims the input's staging batch or
// stages in one of its own.
#pragma once

#include <atomic>
#include <span>
#include <string>

#include "exec/operator.h"
#include "plan/catalog.h"
#include "runtime/entry_gate.h"
#include "runtime/junction.h"
#include "sluice/engine.h"

namespace sluice::runtime {

class StreamInput final : public InputHandler {
 public:
  // Where an input's batches go once checked and stamped: the app, which knows whether its
  // processing is serialised (playback).
  class Publisher {
   public:
    virtual ~Publisher() = default;
    // `from_source`: a connector's source hands on what it took, which it may still do while
    // the app stops (an HTTP source's queue of accepted events), until its thread is joined.
    virtual Status Publish(exec::BatchConsumer* entry, const Batch& batch,
                           bool from_source = false) = 0;
  };

  StreamInput(Publisher* app, StreamJunction* junction, exec::BatchConsumer* entry)
      : app_(app), junction_(junction), entry_(entry), def_(junction->def()), one_(def_.schema) {}

  const std::string& stream() const override { return def_.name; }
  const Schema& schema() const override { return def_.schema; }
  int event_time_attribute() const override { return def_.event_time.field; }
  void CountMalformed(uint64_t n) override { junction_->CountMalformed(n); }
  Status Send(int64_t timestamp, std::span<const Value> values) override;
  Status SendBatch(const Batch& batch) override;
  Status SendLocked(int64_t timestamp, std::span<const Value> values);
  Status SendBatchInner(const Batch& batch);
  // A batch from a source: its times are set already (see SourceContext::emit).
  Status SendStamped(const Batch& batch);

  const plan::StreamDef& def() const { return def_; }
  StreamJunction* junction() const { return junction_; }
  // With checkpoints, its sends pass `door` of `gate` (set before the app starts).
  void set_door(EntryGate* gate, EntryGate::Door* door) {
    gate_ = gate;
    door_ = door;
  }

 private:
  // Copies the rows of `batch` whose event-time attribute gives a time into `staged`, with that
  // time. Each row without one is counted as malformed; the first is described in *rejected.
  void StageWithEventTime(const Batch& batch, Batch* staged, std::string* rejected);

  Publisher* app_;
  StreamJunction* junction_;
  exec::BatchConsumer* entry_;  // the junction, or the async stream in front of it
  const plan::StreamDef& def_;
  EntryGate* gate_ = nullptr;  // null without checkpoints: a pass costs a test of it
  EntryGate::Door* door_ = nullptr;
  // The input's staging batches, reused by every send that finds them free. A send that finds
  // them taken (another thread's send, or a callback sending from inside a send) stages in a
  // batch of its own: no send waits for another, and no lock is shared between streams.
  // Taken with an exchange, not a mutex: a callback's send from inside a send on this thread must
  // find it taken, not wait for itself.
  class StagingClaim {
   public:
    explicit StagingClaim(std::atomic<bool>* busy)
        : busy_(busy), owned_(!busy->exchange(true, std::memory_order_acquire)) {}
    ~StagingClaim() {
      if (owned_) busy_->store(false, std::memory_order_release);
    }
    bool owned() const { return owned_; }

   private:
    std::atomic<bool>* busy_;
    bool owned_;
  };
  std::atomic<bool> staging_busy_{false};
  Batch one_;      // single-event sends
  Batch staging_;  // batches whose times come from an attribute
};

}  // namespace sluice::runtime
