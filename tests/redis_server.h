// A real redis-server (Debian's package) for the tests: started on a free loopback port in its own
// temp dir, with an append-only file fsynced on every write so that a kill -9 and a restart keep
// every write it acknowledged (or, for benchmarks, with no persistence); stopped (and its dir
// removed) by the destructor.
#pragma once

#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "free_port.h"

namespace sluice::testing {

class RedisServer {
 public:
  explicit RedisServer(bool durable = true)
      : durable_(durable),
        dir_(std::filesystem::temp_directory_path() /
             ("sluice_redis_" + std::to_string(::getpid()) + "_" +
              std::to_string(reinterpret_cast<uintptr_t>(this)))) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    port_ = FreeLoopbackPort();
  }
  ~RedisServer() {
    Kill();
    std::filesystem::remove_all(dir_);
  }

  // Empty when the server answers PING; else why not.
  std::string Start() {
    if (!Found()) return "redis-server is not installed (scripts/install-deps.sh installs it)";
    // Everything the child needs is made before the fork: a child of a threaded process may
    // only call async-signal-safe functions until it execs.
    std::string port = std::to_string(port_);
    std::string dir = dir_.string();
    std::string log = (dir_ / "redis.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
               "--dir", dir.c_str(), "--save", "", "--appendonly", durable_ ? "yes" : "no",
               "--appendfsync", "always", "--daemonize", "no", "--logfile", log.c_str(), nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 500; ++i) {
      if (Ping()) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return "redis-server did not answer on port " + std::to_string(port_);
  }

  // kill -9: what it acknowledged is in its append-only file.
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

  // One command's reply as text: a string, an integer, or the elements of an array joined by
  // '\n' (nested arrays flattened); "ERR ..." for an error, "" for none.
  std::string Command(const std::vector<std::string>& args) const {
    redisContext* c = redisConnect("127.0.0.1", port_);
    if (!c || c->err) {
      if (c) redisFree(c);
      return "(no connection)";
    }
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
    std::string out = r ? Text(r) : "(no reply)";
    if (r) freeReplyObject(r);
    redisFree(c);
    return out;
  }

  static std::string Text(const redisReply* r) {
    switch (r->type) {
      case REDIS_REPLY_STRING:
      case REDIS_REPLY_STATUS:
        return std::string(r->str, r->len);
      case REDIS_REPLY_ERROR:
        return "ERR " + std::string(r->str, r->len);
      case REDIS_REPLY_INTEGER:
        return std::to_string(r->integer);
      case REDIS_REPLY_ARRAY: {
        std::string s;
        for (size_t i = 0; i < r->elements; ++i) s += (i ? "\n" : "") + Text(r->element[i]);
        return s;
      }
      default:
        return "";
    }
  }

 private:
  static bool Found() { return std::system("command -v redis-server > /dev/null 2>&1") == 0; }

  bool Ping() const { return Command({"PING"}) == "PONG"; }

  bool durable_;
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace sluice::testing
