#include "tools/line_editor.h"

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>

namespace sluice::tools {

namespace {

constexpr size_t kHistoryKept = 1000;

bool StartsWithNoCase(const std::string& s, const std::string& prefix) {
  if (prefix.size() > s.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

bool WordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '!';
}

void Write(const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(STDOUT_FILENO, s.data() + done, s.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// Raw mode for as long as it lives.
class RawMode {
 public:
  RawMode() {
    ok_ = ::tcgetattr(STDIN_FILENO, &saved_) == 0;
    if (!ok_) return;
    termios raw = saved_;
    raw.c_lflag &= static_cast<tcflag_t>(~(ECHO | ICANON | ISIG | IEXTEN));
    raw.c_iflag &= static_cast<tcflag_t>(~(IXON | ICRNL));
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    ok_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawMode() {
    if (ok_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  bool ok() const { return ok_; }

 private:
  termios saved_{};
  bool ok_ = false;
};

}  // namespace

LineEditor::LineEditor(std::string history_path)
    : tty_(::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO)),
      history_path_(std::move(history_path)) {
  if (history_path_.empty()) return;
  std::ifstream in(history_path_);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) history_.push_back(line);
  if (history_.size() > kHistoryKept)
    history_.erase(history_.begin(), history_.end() - static_cast<std::ptrdiff_t>(kHistoryKept));
}

LineEditor::~LineEditor() {
  if (history_path_.empty() || !tty_) return;
  // Kept short: the newest entries only.
  std::ofstream out(history_path_, std::ios::trunc);
  for (const std::string& h : history_) out << h << "\n";
}

void LineEditor::AddHistory(const std::string& entry) {
  if (entry.empty() || (!history_.empty() && history_.back() == entry)) return;
  history_.push_back(entry);
  if (history_.size() > kHistoryKept) history_.erase(history_.begin());
  // Written at once, so that a shell that is killed keeps what was typed.
  if (!history_path_.empty() && tty_) std::ofstream(history_path_, std::ios::app) << entry << "\n";
}

bool LineEditor::Read(const std::string& prompt, std::string* line) {
  line->clear();
  cancelled_ = false;
  if (tty_) {
    RawMode raw;
    if (raw.ok()) return ReadRaw(prompt, line);
  }
  if (!std::getline(std::cin, *line)) return false;
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return true;
}

void LineEditor::Redraw(const std::string& prompt, const std::string& line, size_t cursor) const {
  std::string s = "\r" + prompt + line + "\x1b[K\r";
  size_t to = prompt.size() + cursor;
  if (to > 0) s += "\x1b[" + std::to_string(to) + "C";
  Write(s);
}

std::string LineEditor::Complete(const std::string& line, size_t* cursor,
                                 const std::vector<std::string>& words,
                                 std::vector<std::string>* candidates) {
  size_t start = *cursor;
  while (start > 0 && WordChar(line[start - 1])) --start;
  std::string prefix = line.substr(start, *cursor - start);
  candidates->clear();
  if (prefix.empty()) return line;
  for (const std::string& w : words)
    if (StartsWithNoCase(w, prefix) &&
        std::find(candidates->begin(), candidates->end(), w) == candidates->end())
      candidates->push_back(w);
  if (candidates->empty()) return line;
  // Keywords are typed in the case the user started them in; names as they are.
  std::string common = (*candidates)[0];
  for (const std::string& c : *candidates) {
    size_t n = 0;
    while (n < common.size() && n < c.size() &&
           std::tolower(static_cast<unsigned char>(common[n])) ==
               std::tolower(static_cast<unsigned char>(c[n])))
      ++n;
    common.resize(n);
  }
  std::string insert = common.size() > prefix.size() ? common.substr(prefix.size()) : "";
  if (candidates->size() == 1) {
    insert += " ";
    candidates->clear();
  }
  std::string out = line.substr(0, *cursor) + insert + line.substr(*cursor);
  *cursor += insert.size();
  return out;
}

bool LineEditor::ReadRaw(const std::string& prompt, std::string* line) {
  size_t cursor = 0;
  size_t recalled = history_.size();  // the entry shown: history_.size() is the line being typed
  std::string typed;
  Redraw(prompt, *line, cursor);
  for (;;) {
    char c;
    if (::read(STDIN_FILENO, &c, 1) != 1) return false;
    if (c == '\r' || c == '\n') {
      Write("\r\n");
      return true;
    }
    if (c == 3) {  // Ctrl-C: drop the line
      Write("^C\r\n");
      line->clear();
      cancelled_ = true;
      return true;
    }
    if (c == 4) {  // Ctrl-D: the end on an empty line
      if (line->empty()) {
        Write("\r\n");
        return false;
      }
      if (cursor < line->size()) line->erase(cursor, 1);
    } else if (c == 127 || c == 8) {
      if (cursor > 0) line->erase(--cursor, 1);
    } else if (c == 1) {
      cursor = 0;
    } else if (c == 5) {
      cursor = line->size();
    } else if (c == 21) {  // Ctrl-U
      line->erase(0, cursor);
      cursor = 0;
    } else if (c == '\t') {
      std::vector<std::string> candidates;
      *line = Complete(*line, &cursor, words_, &candidates);
      if (!candidates.empty()) {
        std::string list = "\r\n";
        for (const std::string& w : candidates) list += w + "  ";
        Write(list + "\r\n");
      }
    } else if (c == 27) {  // an escape sequence: arrows, Delete
      char seq[3] = {0, 0, 0};
      if (::read(STDIN_FILENO, &seq[0], 1) != 1 || ::read(STDIN_FILENO, &seq[1], 1) != 1) continue;
      if (seq[0] != '[') continue;
      if (seq[1] == 'A' || seq[1] == 'B') {
        if (recalled == history_.size()) typed = *line;
        if (seq[1] == 'A' && recalled > 0) --recalled;
        if (seq[1] == 'B' && recalled < history_.size()) ++recalled;
        *line = recalled == history_.size() ? typed : history_[recalled];
        cursor = line->size();
      } else if (seq[1] == 'C') {
        if (cursor < line->size()) ++cursor;
      } else if (seq[1] == 'D') {
        if (cursor > 0) --cursor;
      } else if (seq[1] == '3' && ::read(STDIN_FILENO, &seq[2], 1) == 1 && seq[2] == '~') {
        if (cursor < line->size()) line->erase(cursor, 1);
      }
    } else if (static_cast<unsigned char>(c) >= 32) {
      line->insert(cursor++, 1, c);
    }
    Redraw(prompt, *line, cursor);
  }
}

}  // namespace sluice::tools
