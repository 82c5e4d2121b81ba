// Stops the app's entry points at batch boundaries, so that a checkpoint sees every operator
// after the same prefix of every input. An entry point (a source's thread, an input's sends, the
// timer) passes a Door around each batch it processes; Close() makes new passes wait and waits
// until no door has anyone inside. No lock is shared: each door is its own counter, and the
// gate's flag is only read on the way in (Dekker's handshake, sequentially consistent).
// A thread already inside (a callback that sends from inside a send; an async worker, which the
// checkpoint waits for separately) passes again without waiting, so the gate cannot deadlock on
// itself.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <thread>

namespace sluice::runtime {

class EntryGate {
 public:
  struct Door {
    std::atomic<int> inside{0};
  };

  // Holds `door` open for one batch; a null gate (no checkpoints) costs nothing.
  class Pass {
   public:
    Pass(EntryGate* gate, Door* door) : gate_(gate), door_(door) {
      if (!gate_) return;
      if (t_gate_ == gate_) {  // inside this gate already
        gate_ = nullptr;
        return;
      }
      outer_ = t_gate_;  // inside another app's gate, or none
      t_gate_ = gate_;
      gate_->Enter(door_);
    }
    ~Pass() {
      if (!gate_) return;
      door_->inside.fetch_sub(1, std::memory_order_release);
      t_gate_ = outer_;
    }
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;

   private:
    EntryGate* gate_;
    Door* door_;
    const EntryGate* outer_ = nullptr;
  };

  // A new entry point. Doors are made before the threads that use them start.
  Door* NewDoor() {
    doors_.push_back(std::make_unique<Door>());
    return doors_.back().get();
  }

  // Whether the calling thread is inside this gate (a pass, or an async worker).
  bool InsideOnThisThread() const { return t_gate_ == this; }

  // Marks the calling thread as always inside (an async worker): its passes never wait.
  void EnterThread() const { t_gate_ = this; }

  // Closes the gate and waits until every door is empty; false at `deadline` (the gate is open
  // again then).
  bool Close(std::chrono::steady_clock::time_point deadline) {
    closed_.store(true, std::memory_order_seq_cst);
    for (;;) {
      bool empty = true;
      for (const auto& d : doors_) empty = empty && d->inside.load(std::memory_order_seq_cst) == 0;
      if (empty) return true;
      if (std::chrono::steady_clock::now() >= deadline) {
        Open();
        return false;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

  void Open() {
    closed_.store(false, std::memory_order_seq_cst);
    closed_.notify_all();
  }

 private:
  void Enter(Door* door) {
    for (;;) {
      door->inside.fetch_add(1, std::memory_order_seq_cst);
      if (!closed_.load(std::memory_order_seq_cst)) return;
      door->inside.fetch_sub(1, std::memory_order_seq_cst);
      closed_.wait(true, std::memory_order_seq_cst);
    }
  }
  std::atomic<bool> closed_{false};
  std::deque<std::unique_ptr<Door>> doors_;
  static inline thread_local const EntryGate* t_gate_ = nullptr;  // the gate the thread is in
};

}  // namespace sluice::runtime
