// The shell's line editor: on a terminal, a line with cursor keys, history (up and down, kept in a
// file between sessions) and tab completion of the words it is given; on a pipe, plain lines.
#pragma once

#include <string>
#include <vector>

namespace sluice::tools {

class LineEditor {
 public:
  // `history_path`: where history is read from and appended to; empty: none kept.
  explicit LineEditor(std::string history_path);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  bool interactive() const { return tty_; }
  // Reads one line (shown after `prompt` on a terminal). False at the end of the input (Ctrl-D on
  // an empty line). Ctrl-C gives an empty line.
  bool Read(const std::string& prompt, std::string* line);
  // Whether the last Read ended with Ctrl-C.
  bool cancelled() const { return cancelled_; }
  void AddHistory(const std::string& entry);
  // The words Tab completes (keywords, names), matched without regard to case.
  void SetCompletions(std::vector<std::string> words) { words_ = std::move(words); }

  // What Tab does to `line` with the cursor at `*cursor`: the completed line, and the candidates
  // when more than one remains (to be listed).
  static std::string Complete(const std::string& line, size_t* cursor,
                              const std::vector<std::string>& words,
                              std::vector<std::string>* candidates);

 private:
  bool ReadRaw(const std::string& prompt, std::string* line);
  void Redraw(const std::string& prompt, const std::string& line, size_t cursor) const;

  bool tty_ = false;
  bool cancelled_ = false;
  std::string history_path_;
  std::vector<std::string> history_;
  std::vector<std::string> words_;
};

}  // namespace sluice::tools
