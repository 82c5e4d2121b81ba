// A real PostgreSQL server (Debian's package) for the tests: `initdb` in a temp dir, then
// `pg_ctl start` on a free loopback port (as the postgres user when the tests run as root, since
// PostgreSQL refuses to run as root), trust authentication for user `sluice`; stopped and removed
// by the destructor.
#pragma once

#include <libpq-fe.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "free_port.h"

namespace sluice::testing {

class PostgresServer {
 public:
  PostgresServer()
      : dir_(std::filesystem::temp_directory_path() /
             ("sluice_pg_" + std::to_string(::getpid()) + "_" +
              std::to_string(reinterpret_cast<uintptr_t>(this)))) {}
  ~PostgresServer() {
    Stop();
    std::filesystem::remove_all(dir_);
  }

  // Empty when the server accepts connections; else why not.
  std::string Start() {
    std::string bin = Output("pg_config --bindir");
    if (bin.empty() || !std::filesystem::exists(bin + "/initdb"))
      return "PostgreSQL's initdb was not found (scripts/install-deps.sh installs postgresql)";
    bin_ = bin;
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    as_ = ::geteuid() == 0 ? "runuser -u postgres -- " : "";
    if (::geteuid() == 0 && std::system(("chown postgres '" + dir_.string() + "'").c_str()) != 0)
      return "cannot give " + dir_.string() + " to the postgres user";
    port_ = FreeLoopbackPort();
    std::string d = dir_.string();
    if (std::system((as_ + bin_ + "/initdb -D '" + d + "/data' -U sluice --auth=trust -E UTF8 > '" +
                     d + "/initdb.log' 2>&1")
                        .c_str()) != 0)
      return "initdb failed: see " + d + "/initdb.log";
    return Launch();
  }

  // Starts the server again on its data dir and port, after Stop().
  std::string Launch() {
    std::string d = dir_.string();
    if (std::system((as_ + bin_ + "/pg_ctl -D '" + d + "/data' -l '" + d + "/log' -w -o \"-p " +
                     std::to_string(port_) + " -k '" + d +
                     "' -c listen_addresses=127.0.0.1 -c fsync=off\" start > /dev/null 2>&1")
                        .c_str()) != 0)
      return "pg_ctl start failed: see " + d + "/log";
    started_ = true;
    return "";
  }

  void Stop() {
    if (!started_) return;
    std::system(
        (as_ + bin_ + "/pg_ctl -D '" + dir_.string() + "/data' -m immediate stop > /dev/null 2>&1")
            .c_str());
    started_ = false;
  }

  std::string url() const {
    return "postgresql://sluice@127.0.0.1:" + std::to_string(port_) + "/postgres";
  }

  // Runs `sql`; the rows of its result, one per line, fields joined by '|' (NULL as "NULL");
  // "ERROR: ..." when it fails.
  std::string Query(const std::string& sql) const {
    PGconn* c = PQconnectdb(url().c_str());
    std::string out;
    if (PQstatus(c) != CONNECTION_OK) {
      out = std::string("ERROR: ") + PQerrorMessage(c);
    } else {
      PGresult* r = PQexec(c, sql.c_str());
      ExecStatusType st = PQresultStatus(r);
      if (st == PGRES_TUPLES_OK) {
        for (int i = 0; i < PQntuples(r); ++i) {
          for (int j = 0; j < PQnfields(r); ++j)
            out +=
                (j ? "|" : "") + std::string(PQgetisnull(r, i, j) ? "NULL" : PQgetvalue(r, i, j));
          out += "\n";
        }
      } else if (st != PGRES_COMMAND_OK) {
        out = std::string("ERROR: ") + PQresultErrorMessage(r);
      }
      PQclear(r);
    }
    PQfinish(c);
    return out;
  }

 private:
  static std::string Output(const std::string& command) {
    FILE* p = popen(command.c_str(), "r");
    if (!p) return "";
    char buf[512];
    std::string out;
    while (fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
  }

  std::filesystem::path dir_;
  std::string bin_, as_;
  int port_ = 0;
  bool started_ = false;
};

}  // namespace sluice::testing
