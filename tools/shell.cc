#include "tools/shell.h"

#include <httplib.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <vector>

#include "server/result_text.h"
#include "sluice/engine.h"
#include "tools/line_editor.h"

namespace sluice::tools {

namespace {

constexpr int kOk = 0, kFailed = 1, kUnreachable = 2;

// scheme://host:port of `url`: a path after it (the start line's ".../api/app", a trailing
// slash) is not part of the server's address.
std::string WithScheme(const std::string& url) {
  std::string u = url.find("://") == std::string::npos ? "http://" + url : url;
  size_t slash = u.find('/', u.find("://") + 3);
  return slash == std::string::npos ? u : u.substr(0, slash);
}

// What a statement gave: its text to print, and whether it failed.
struct Answer {
  bool ok = false;
  bool reached = true;  // false: nothing answered
  std::string text;
};

Answer AskServer(httplib::Client& client, const std::string& token, const std::string& statement,
                 bool json) {
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  httplib::Result r =
      client.Post(json ? "/api/query" : "/api/query?format=text", headers, statement, "text/plain");
  Answer a;
  if (!r) {
    a.reached = false;
    a.text = "no server answers (" + httplib::to_string(r.error()) + ")";
    return a;
  }
  a.ok = r->status == 200;
  a.text = r->body;
  if (r->status == 401) a.text = "the server wants a token (--token): " + r->body;
  return a;
}

const char* const kHelp =
    "Statements end with ';' and may span lines:\n"
    "  SHOW STREAMS | TABLES | QUERIES | SOURCES | SINKS;\n"
    "  DESCRIBE <stream or table>;\n"
    "  EXPLAIN [ANALYZE] <query>;\n"
    "  SELECT ... FROM <table> [WHERE ...] [LIMIT n];\n"
    "help and quit (or exit, or Ctrl-D) need no ';'. Tab completes keywords and names; the arrows "
    "go through the history.\n";

const std::vector<std::string> kKeywords = {"SHOW",  "STREAMS",  "TABLES",  "QUERIES", "SOURCES",
                                            "SINKS", "DESCRIBE", "EXPLAIN", "ANALYZE", "SELECT",
                                            "FROM",  "WHERE",    "LIMIT",   "AND",     "OR",
                                            "NOT",   "AS",       "IS",      "NULL"};

// The first column of each row of a table as ResultTable prints it.
std::vector<std::string> FirstColumn(const std::string& table) {
  std::vector<std::string> out;
  std::istringstream in(table);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (++n <= 2 || line.empty() || line[0] == '(') continue;
    size_t end = line.find(" | ");
    std::string cell = line.substr(1, end == std::string::npos ? std::string::npos : end - 1);
    while (!cell.empty() && cell.back() == ' ') cell.pop_back();
    if (!cell.empty()) out.push_back(cell);
  }
  return out;
}

int Prompt(const std::function<Answer(const std::string&)>& ask, const std::string& where) {
  const char* home = std::getenv("HOME");
  LineEditor editor(home ? std::string(home) + "/.sluice_history" : "");
  std::vector<std::string> words = kKeywords;
  for (const char* what : {"SHOW STREAMS", "SHOW TABLES", "SHOW QUERIES"}) {
    Answer a = ask(what);
    if (!a.reached) {
      std::fprintf(stderr, "sluice: %s at %s: is `sluice run --http` running there?\n",
                   a.text.c_str(), where.c_str());
      return kUnreachable;
    }
    if (!a.ok) {  // a wrong token, most likely: every statement would fail alike
      std::fprintf(stderr, "sluice: %s", a.text.c_str());
      return kFailed;
    }
    for (std::string& name : FirstColumn(a.text)) words.push_back(std::move(name));
  }
  editor.SetCompletions(words);
  if (editor.interactive())
    std::printf("sluice shell on %s: 'help' for the statements, 'quit' to leave\n", where.c_str());
  int rc = kOk;
  std::string statement, line;
  // Ctrl-C drops the statement being typed (the editor reads it as a key); while a statement
  // runs, it does not end the shell.
  if (editor.interactive()) std::signal(SIGINT, SIG_IGN);
  while (editor.Read(statement.empty() ? "sluice> " : "     -> ", &line)) {
    if (editor.cancelled()) {
      statement.clear();
      continue;
    }
    std::string trimmed = line;
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back())))
      trimmed.pop_back();
    if (statement.empty()) {
      std::string word = trimmed;
      for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (word == "quit" || word == "exit" || word == "\\q") break;
      if (word == "help" || word == "\\?") {
        std::fputs(kHelp, stdout);
        continue;
      }
      if (trimmed.empty()) continue;
    }
    statement += (statement.empty() ? "" : "\n") + line;
    if (trimmed.empty() || trimmed.back() != ';') continue;
    std::string flat = statement;
    for (char& c : flat)
      if (c == '\n') c = ' ';
    editor.AddHistory(flat);
    Answer a = ask(statement);
    statement.clear();
    std::fputs(a.text.c_str(), a.ok ? stdout : stderr);
    std::fflush(a.ok ? stdout : stderr);
    if (!a.reached) return kUnreachable;
    if (!a.ok) rc = kFailed;  // piped statements: the exit code says one failed
  }
  if (!statement.empty()) {
    std::fprintf(stderr, "sluice: the input ended inside a statement (no ';'): %s\n",
                 statement.c_str());
    rc = kFailed;
  }
  return editor.interactive() ? kOk : rc;
}

}  // namespace

int QueryServer(const std::string& url, const std::string& token, const std::string& statement,
                bool json) {
  httplib::Client client(WithScheme(url));
  if (!client.is_valid()) {
    std::fprintf(stderr, "sluice: '%s' is not a server's URL (http://host:port)\n", url.c_str());
    return kUnreachable;
  }
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(std::chrono::seconds(120));  // a pull query over a large table
  Answer a = AskServer(client, token, statement, json);
  if (!a.reached) {
    std::fprintf(stderr, "sluice: %s at %s: is `sluice run --http` running there?\n",
                 a.text.c_str(), url.c_str());
    return kUnreachable;
  }
  std::fputs(a.text.c_str(), a.ok ? stdout : stderr);
  return a.ok ? kOk : kFailed;
}

int Shell(const std::string& target, const std::string& token) {
  std::error_code ec;
  bool app_file = target.size() > 4 && target.substr(target.size() - 4) == ".sql";
  if (!app_file || !std::filesystem::exists(target, ec)) {
    if (app_file) {
      std::fprintf(stderr, "sluice: no app file '%s'\n", target.c_str());
      return kUnreachable;
    }
    httplib::Client client(WithScheme(target));
    if (!client.is_valid()) {
      std::fprintf(stderr, "sluice: '%s' is neither an app file (.sql) nor a server's URL\n",
                   target.c_str());
      return kUnreachable;
    }
    client.set_connection_timeout(std::chrono::seconds(5));
    client.set_read_timeout(std::chrono::seconds(120));
    return Prompt([&](const std::string& s) { return AskServer(client, token, s, /*json=*/false); },
                  WithScheme(target));
  }
  // An app of its own: loaded and started as `run` does, for as long as the prompt lasts.
  std::ifstream in(target);
  std::stringstream text;
  text << in.rdbuf();
  AppOptions options;
  options.file_name = target;
  options.base_dir = std::filesystem::path(target).parent_path().string();
  options.start_connectors = true;
  auto loaded = AppRuntime::Load(text.str(), options);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().message().c_str());
    return kFailed;
  }
  std::unique_ptr<AppRuntime> app = std::move(loaded).value();
  if (Status st = app->Start(); !st.ok()) {
    std::fprintf(stderr, "sluice: %s\n", st.message().c_str());
    app->Shutdown();
    return kFailed;
  }
  int rc = Prompt(
      [&](const std::string& s) {
        Answer a;
        Result<StatementResult> r = app->Execute(s);
        a.ok = r.ok();
        a.text = r.ok() ? server::ResultTable(*r) : r.status().message() + "\n";
        return a;
      },
      target);
  app->Shutdown();
  return rc;
}

}  // namespace sluice::tools
