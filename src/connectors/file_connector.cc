// Files and the standard streams, in JSON lines or CSV. A source's 'path' may be a glob
// (`logs/*.jsonl`): the files it matches when the source starts are read one after another, in
// the order of their names.
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "common/format.h"
#include "common/log.h"
#include "connectors/connector.h"
#include "connectors/csv_codec.h"
#include "connectors/json_codec.h"
#include "connectors/registry.h"
#include "connectors/sink_format.h"
#include "exec/event_time.h"
#include "plan/options.h"

namespace sluice::connectors {

namespace {

constexpr size_t kMaxBatch = 1024;

class LineSource final : public Source {
 public:
  LineSource(const plan::StreamDef& def, std::string path)
      : def_(def), path_(std::move(path)), json_(def.schema) {
    csv_ = def.connector->format == "csv";
    std::string delim = Prop(def, "delimiter", ",");
    delimiter_ = delim.empty() ? ',' : delim[0];
    bool b = false;
    header_ = ParseBool(Prop(def, "header", "false"), &b) && b;
    b = false;
    follow_ = !path_.empty() && ParseBool(Prop(def, "follow", "false"), &b) && b;
    std::string wait = Prop(def, "wait.timeout", "");
    if (!wait.empty() && !plan::ParseDurationText(wait, &wait_ms_)) wait_ms_ = 0;
  }

  std::string where() const override { return path_; }

  // A position is "offset=<bytes> line=<n>": where the next line starts, and how many lines came
  // before it (for messages).
  Status Resume(std::string_view position) override {
    if (path_.empty()) return Source::Resume(position);  // stdin cannot go back
    long long offset = -1, line = -1;
    if (std::sscanf(std::string(position).c_str(), "offset=%lld line=%lld", &offset, &line) != 2 ||
        offset < 0 || line < 0)
      return Status::InvalidArgument(Named(def_) + ": a bad file position '" +
                                     std::string(position) + "' in the checkpoint");
    resume_offset_ = offset;
    resume_line_ = line;
    return Status::OK();
  }

  Status Run(SourceContext& ctx) override {
    int fd = 0;
    if (!path_.empty()) {
      fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
      // 'wait.timeout': a file that is not there yet may come (written by another program).
      auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms_);
      while (fd < 0 && errno == ENOENT && std::chrono::steady_clock::now() < until &&
             !ctx.stopping()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
      }
      if (fd < 0 && errno == ENOENT && wait_ms_ > 0)
        return Status::IoError(Named(def_) + ": '" + path_ + "' did not appear within " +
                               std::to_string(wait_ms_) + " ms ('wait.timeout')");
      if (fd < 0)
        return Status::IoError(Named(def_) + ": cannot open '" + path_ +
                               "': " + std::strerror(errno));
      struct stat st;
      if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        return Status::IoError(Named(def_) + ": '" + path_ + "' is a directory, not a file");
      }
      if (S_ISREG(st.st_mode)) progress_.total_bytes.store(static_cast<uint64_t>(st.st_size));
      seekable_ = S_ISREG(st.st_mode);  // a pipe or a device cannot go back: no position
    }
    Batch batch(def_.schema);
    std::string pending;
    std::vector<char> buf(1 << 16);
    int64_t line_no = 0;
    Status result;
    base_ = 0;
    if (resume_offset_ > 0) {
      result = SeekTo(fd, ctx);
      if (!result.ok()) {
        ::close(fd);
        return result;
      }
      line_no = resume_line_;
      base_ = resume_offset_;
      progress_.bytes.store(static_cast<uint64_t>(base_));
      progress_.records.store(static_cast<uint64_t>(line_no));
    }
    while (!ctx.stopping()) {
      // Wait for input a little at a time, so that a stop is seen while stdin or a pipe is idle.
      struct pollfd p = {fd, POLLIN, 0};
      int ready = ::poll(&p, 1, 100);
      if (ready < 0 && errno != EINTR) {
        result = Status::IoError(Named(def_) + ": read error: " + std::strerror(errno));
        break;
      }
      if (ready <= 0) continue;
      ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        result = Status::IoError(Named(def_) + ": read error: " + std::strerror(errno));
        break;
      }
      if (n == 0) {
        if (follow_) {
          // Every whole line was handed on; a last line still without its newline is still
          // being written, and counts once it is whole.
          progress_.caught_up.store(true);
          result = Follow(&fd, &pending, &line_no, &batch, ctx);
          if (!result.ok()) break;
          continue;
        }
        break;
      }
      progress_.bytes.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
      pending.append(buf.data(), static_cast<size_t>(n));
      size_t start = 0;
      while (true) {
        size_t nl = pending.find('\n', start);
        if (nl == std::string::npos) break;
        ++line_no;
        progress_.records.store(static_cast<uint64_t>(line_no), std::memory_order_relaxed);
        result = Line(std::string_view(pending).substr(start, nl - start), line_no, &batch, ctx);
        if (!result.ok()) break;
        start = nl + 1;
        if (batch.num_rows() >= kMaxBatch) {
          result = Flush(&batch, base_ + static_cast<int64_t>(start), line_no, ctx);
          if (!result.ok()) break;
        }
      }
      if (!result.ok()) break;
      pending.erase(0, start);
      base_ += static_cast<int64_t>(start);
      // Whatever a read returned is handed on at once: no waiting for a full batch.
      result = Flush(&batch, base_, line_no, ctx);
      if (!result.ok()) break;
    }
    if (result.ok() && !pending.empty() && !ctx.stopping()) {
      progress_.records.store(static_cast<uint64_t>(line_no + 1), std::memory_order_relaxed);
      result = Line(pending, ++line_no, &batch, ctx);
      if (result.ok())
        result = Flush(&batch, base_ + static_cast<int64_t>(pending.size()), line_no, ctx);
    }
    // Stopped with a line still being written (no newline yet): said, not dropped silently. A
    // restart from a checkpoint reads it again, whole; without one it is not read.
    if (result.ok() && !pending.empty() && ctx.stopping())
      Log(LogLevel::kWarn, Named(def_) + ": " + (path_.empty() ? std::string("stdin") : path_) +
                               ":" + std::to_string(line_no + 1) + ": stopped before this line " +
                               "ended (" + std::to_string(pending.size()) +
                               " byte(s) without a newline): not read");
    // The end of the input, its last line (with or without a newline) handed on.
    if (result.ok() && !ctx.stopping() && !follow_) {
      progress_.caught_up.store(true);
      progress_.finished.store(true);
    }
    if (fd > 0) ::close(fd);
    return result;
  }

 private:
  // Decodes one line into `batch`, or reports it (with its line number) and leaves it out. A bad
  // header stops the source: every row after it would be read wrongly.
  Status Line(std::string_view line, int64_t line_no, Batch* batch, SourceContext& ctx) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    bool blank = true;
    for (char c : line) blank = blank && (c == ' ' || c == '\t');
    if (blank) return Status::OK();
    std::string where =
        (path_.empty() ? std::string("stdin") : path_) + ":" + std::to_string(line_no);
    if (csv_) {
      if (!SplitCsv(line, delimiter_, &fields_)) {
        ctx.malformed(where, "unterminated quote");
        return Status::OK();
      }
      if (header_ && !header_seen_) {
        header_seen_ = true;
        Status st = CsvHeaderColumns(fields_, def_.schema, &columns_);
        if (!st.ok())
          return Status::InvalidArgument(Named(def_) + ": " + where + ": " + st.message());
        return Status::OK();
      }
    }
    size_t row = batch->AddRow(ctx.clock->NowMillis());
    Status st = csv_ ? DecodeCsvFields(fields_, columns_, def_.schema, batch, row)
                     : json_.Decode(line, batch, row);
    std::string problem;
    if (st.ok() && !exec::AcceptSourceRow(def_, batch, row, &problem))
      st = Status::InvalidArgument(problem);
    if (!st.ok()) {
      batch->Resize(row);
      ctx.malformed(where, st.message());
    }
    return Status::OK();
  }

  // 'follow': at the end of the file, what tail -F does. A file cut shorter than what was read
  // (copytruncate) is read again from its start; another file at the path (rename and create) is
  // opened once this one is read to its end, its last line finished; otherwise it waits.
  Status Follow(int* fd, std::string* pending, int64_t* line_no, Batch* batch, SourceContext& ctx) {
    struct stat open_file, at_path;
    if (::fstat(*fd, &open_file) == 0 &&
        open_file.st_size < base_ + static_cast<int64_t>(pending->size())) {
      Log(LogLevel::kInfo,
          Named(def_) + ": '" + path_ + "' was truncated: reading it again from its start");
      ::lseek(*fd, 0, SEEK_SET);
      pending->clear();
      base_ = 0;
      *line_no = 0;
      return Status::OK();
    }
    if (::stat(path_.c_str(), &at_path) == 0 &&
        (at_path.st_ino != open_file.st_ino || at_path.st_dev != open_file.st_dev)) {
      if (!pending->empty()) {  // the old file's last line, without its newline
        ++*line_no;
        RETURN_IF_ERROR(Line(*pending, *line_no, batch, ctx));
        RETURN_IF_ERROR(Flush(batch, base_ + static_cast<int64_t>(pending->size()), *line_no, ctx));
      }
      int next = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (next >= 0) {
        Log(LogLevel::kInfo,
            Named(def_) + ": '" + path_ + "' was replaced (rotated): reading the new file");
        ::close(*fd);
        *fd = next;
        pending->clear();
        base_ = 0;
        *line_no = 0;
        header_seen_ = false;  // a CSV file's header comes again
        return Status::OK();
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return Status::OK();
  }

  // Hands `batch` on, with the position after it: the next line starts at byte `offset`.
  Status Flush(Batch* batch, int64_t offset, int64_t line_no, SourceContext& ctx) {
    if (batch->num_rows() == 0) return Status::OK();
    std::string position;
    if (seekable_)
      position = "offset=" + std::to_string(offset) + " line=" + std::to_string(line_no);
    Status st = ctx.emit(*batch, position);
    batch->Clear();
    return st;
  }

  // Resuming: reads a CSV header again (the columns it names), then goes to the position.
  Status SeekTo(int fd, SourceContext& ctx) {
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
      return Status::IoError(Named(def_) + ": '" + path_ +
                             "' is not a regular file: it cannot resume from a checkpoint");
    if (st.st_size < resume_offset_)
      return Status::IoError(Named(def_) + ": '" + path_ + "' has " + std::to_string(st.st_size) +
                             " bytes, fewer than the " + std::to_string(resume_offset_) +
                             " the checkpoint had read: it was replaced or truncated");
    if (csv_ && header_) {
      // The header is the first line that is not blank, as when the file was first read; Line
      // skips blank ones and takes the first other one as the header.
      std::string head(static_cast<size_t>(std::min<int64_t>(resume_offset_, 1 << 20)), '\0');
      ssize_t n = ::pread(fd, head.data(), head.size(), 0);
      head.resize(n > 0 ? static_cast<size_t>(n) : 0);
      Batch none(def_.schema);
      size_t start = 0;
      int64_t line_no = 0;
      while (!header_seen_) {
        size_t nl = head.find('\n', start);
        if (nl == std::string::npos)
          return Status::IoError(Named(def_) + ": cannot read the header of '" + path_ + "' again");
        RETURN_IF_ERROR(
            Line(std::string_view(head).substr(start, nl - start), ++line_no, &none, ctx));
        start = nl + 1;
      }
    }
    if (::lseek(fd, resume_offset_, SEEK_SET) != resume_offset_)
      return Status::IoError(Named(def_) + ": cannot seek in '" + path_ +
                             "': " + std::strerror(errno));
    return Status::OK();
  }

  const plan::StreamDef& def_;
  std::string path_;
  JsonRowDecoder json_;
  bool csv_ = false;
  char delimiter_ = ',';
  bool header_ = false;
  bool header_seen_ = false;
  std::vector<std::string> fields_;
  std::vector<int> columns_;
  int64_t base_ = 0;  // the file offset of the first byte not yet consumed
  bool seekable_ = false;
  int64_t resume_offset_ = 0, resume_line_ = 0;
  bool follow_ = false;  // 'follow': at the end, wait for more (and follow rotations)
  int64_t wait_ms_ = 0;  // 'wait.timeout': how long to wait for the file to appear
};

class FileSink final : public StagedSink {
 public:
  FileSink(const plan::StreamDef& def, std::string path, bool changelog)
      : def_(def), path_(std::move(path)), format_(SinkFormatOf(def, changelog)) {
    bool b = false;
    header_ = ParseBool(Prop(def, "header", "false"), &b) && b;
    int64_t v = 0;
    if (plan::ParseByteSize(Prop(def, "rolling.size", ""), &v)) roll_bytes_ = v;
    if (plan::ParseDurationText(Prop(def, "rolling.interval", ""), &v)) roll_ms_ = v;
  }
  ~FileSink() override { Close(); }
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  std::string where() const override { return path_.empty() ? "stdout" : path_; }

  // `resume`: a position Commit() returned ("bytes=<n>", with rolling "bytes=<n> rolled=<k>"):
  // the file is cut back to it and written on from there, so that what was written after that
  // checkpoint is not there twice; a file rolled after it is taken back.
  Status Open(const std::string* resume) {
    long long keep = -1;
    unsigned long long rolled = 0;
    int fields = 0;
    if (resume && !path_.empty() &&
        ((fields = std::sscanf(resume->c_str(), "bytes=%lld rolled=%llu", &keep, &rolled)) < 1 ||
         keep < 0))
      return Status::InvalidArgument(Named(def_) + ": a bad file sink position '" + *resume +
                                     "' in the checkpoint");
    if (!path_.empty() && (rolls() || fields == 2)) {
      // A run that does not resume starts its files afresh, as "w" does the file's; one that
      // resumes takes back what was rolled after the checkpoint (rolling on or not now).
      rolled_ = resume && fields == 2 ? rolled : 0;
      if (!resume || fields == 2) RETURN_IF_ERROR(TakeBackRollsAfter(rolled_));
    }
    if (path_.empty()) {
      file_ = stdout;
    } else if (keep > 0) {
      RETURN_IF_ERROR(CutBack(keep));
      size_ = keep;
    } else {
      file_ = std::fopen(path_.c_str(), "w");
      if (!file_)
        return Status::IoError(Named(def_) + ": cannot write '" + path_ +
                               "': " + std::strerror(errno));
    }
    opened_ = std::chrono::steady_clock::now();
    if (keep <= 0) RETURN_IF_ERROR(WriteHeader());
    return Status::OK();
  }

 private:
  bool Encode(const Batch& batch, size_t row, std::string* out) override {
    AppendSinkRow(format_, def_.schema, batch, row, out);
    return true;
  }

  Status Write(std::string_view bytes, const std::vector<uint32_t>& ends) override {
    if (!file_) return Status::OK();
    if (rolls()) {
      // Rolled between rows, by the rows alone: the same rows give the same files, on every
      // run and after a restore.
      auto now = std::chrono::steady_clock::now();
      size_t from = 0, begin = 0;
      for (uint32_t end : ends) {
        bool full = roll_bytes_ > 0 && size_ >= roll_bytes_;
        bool old = roll_ms_ > 0 && now - opened_ >= std::chrono::milliseconds(roll_ms_);
        if (size_ > header_bytes_ && (full || old)) {
          RETURN_IF_ERROR(Put(bytes.substr(from, begin - from)));
          RETURN_IF_ERROR(Roll());
          from = begin;
        }
        size_ += end - begin;
        begin = end;
      }
      bytes.remove_prefix(from);
    }
    RETURN_IF_ERROR(Put(bytes));
    if (std::fflush(file_) != 0)
      return Status::IoError(Named(def_) + ": write to '" + where() +
                             "' failed: " + std::strerror(errno));
    return Status::OK();
  }

  Status Put(std::string_view bytes) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size())
      return Status::IoError(Named(def_) + ": write to '" + where() +
                             "' failed: " + std::strerror(errno));
    return Status::OK();
  }

  Status WriteHeader() {
    if (!format_.csv || !header_) return Status::OK();
    std::string header;
    if (format_.changelog) header = std::string("op") + format_.delimiter;
    AppendCsvHeader(&header, def_.schema, format_.delimiter);
    RETURN_IF_ERROR(Put(header));
    size_ += static_cast<int64_t>(header.size());
    header_bytes_ = size_;
    return Status::OK();
  }

  // 'rolling.size', 'rolling.interval': the file is full or old, and its rows are kept under the
  // next number ("out.jsonl" becomes "out-000001.jsonl", then "out-000002.jsonl"...), durable
  // before a new "out.jsonl" begins.
  bool rolls() const { return !path_.empty() && (roll_bytes_ > 0 || roll_ms_ > 0); }

  std::string RolledName(uint64_t n) const {
    size_t slash = path_.rfind('/');
    size_t dot = path_.rfind('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash) ||
        dot == (slash == std::string::npos ? 0 : slash + 1))
      dot = path_.size();
    char number[32];
    std::snprintf(number, sizeof number, "-%06llu", static_cast<unsigned long long>(n));
    return path_.substr(0, dot) + number + path_.substr(dot);
  }

  // After a restore: the files rolled after the checkpoint hold its output after the cut, the
  // first of them the file as the checkpoint left it (taken back to be cut), the others nothing
  // before the cut (removed). A fresh run (`rolled` 0) takes back and removes them all.
  Status TakeBackRollsAfter(uint64_t rolled) {
    std::string next = RolledName(rolled + 1);
    if (::access(next.c_str(), F_OK) != 0) return Status::OK();
    if (std::rename(next.c_str(), path_.c_str()) != 0)
      return Status::IoError(Named(def_) + ": cannot take '" + next + "' back to '" + path_ +
                             "': " + std::strerror(errno));
    for (uint64_t n = rolled + 2; ::access(RolledName(n).c_str(), F_OK) == 0; ++n)
      std::remove(RolledName(n).c_str());
    return Status::OK();
  }

  Status Roll() {
    std::string to = RolledName(rolled_ + 1);
    if (std::fflush(file_) != 0 || ::fsync(::fileno(file_)) != 0)
      return Status::IoError(Named(def_) + ": write to '" + where() +
                             "' failed: " + std::strerror(errno));
    std::fclose(file_);
    file_ = nullptr;
    if (std::rename(path_.c_str(), to.c_str()) != 0)
      return Status::IoError(Named(def_) + ": cannot roll '" + path_ + "' to '" + to +
                             "': " + std::strerror(errno));
    // The rename is durable before a checkpoint can say the file was rolled.
    size_t slash = path_.rfind('/');
    std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash + 1);
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || ::fsync(dfd) != 0) {
      Status st = Status::IoError(Named(def_) + ": cannot make the roll of '" + path_ +
                                  "' durable: " + std::strerror(errno));
      if (dfd >= 0) ::close(dfd);
      return st;
    }
    ::close(dfd);
    ++rolled_;
    file_ = std::fopen(path_.c_str(), "w");
    if (!file_)
      return Status::IoError(Named(def_) + ": cannot write '" + path_ +
                             "': " + std::strerror(errno));
    size_ = 0;
    header_bytes_ = 0;
    opened_ = std::chrono::steady_clock::now();
    return WriteHeader();
  }

  Status CutBack(long long keep) {
    int fd = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_size < keep) {
      if (fd >= 0) ::close(fd);
      return Status::IoError(Named(def_) + ": cannot resume '" + path_ + "' at byte " +
                             std::to_string(keep) +
                             (fd < 0 ? std::string(": ") + std::strerror(errno)
                                     : ": the file is shorter (it was changed outside sluice)"));
    }
    if (::ftruncate(fd, keep) != 0 || ::lseek(fd, keep, SEEK_SET) != keep) {
      Status bad = Status::IoError(Named(def_) + ": cannot cut '" + path_ + "' back to byte " +
                                   std::to_string(keep) + ": " + std::strerror(errno));
      ::close(fd);
      return bad;
    }
    file_ = ::fdopen(fd, "w");
    if (!file_) {
      ::close(fd);
      return Status::IoError(Named(def_) + ": cannot write '" + path_ +
                             "': " + std::strerror(errno));
    }
    return Status::OK();
  }

  // A file's position is its length, made durable; stdout cannot be cut back.
  Result<std::string> CommitOutput() override {
    if (!file_ || file_ == stdout) return std::string();
    struct stat st;
    if (::fstat(::fileno(file_), &st) != 0 || !S_ISREG(st.st_mode)) {
      // A pipe or a device: written, but it cannot be cut back (at least once).
      if (std::fflush(file_) != 0)
        return Status::IoError(Named(def_) + ": write to '" + where() +
                               "' failed: " + std::strerror(errno));
      return std::string();
    }
    if (std::fflush(file_) != 0 || ::fsync(::fileno(file_)) != 0)
      return Status::IoError(Named(def_) + ": write to '" + where() +
                             "' failed: " + std::strerror(errno));
    long length = std::ftell(file_);
    if (length < 0)
      return Status::IoError(Named(def_) + ": '" + where() + "': " + std::strerror(errno));
    return "bytes=" + std::to_string(length) +
           (rolls() ? " rolled=" + std::to_string(rolled_) : std::string());
  }

  Status CloseOutput() override {
    if (!file_) return Status::OK();
    Status st;
    if (std::fflush(file_) != 0)
      st = Status::IoError(Named(def_) + ": write to '" + where() +
                           "' failed: " + std::strerror(errno));
    if (file_ != stdout) std::fclose(file_);
    file_ = nullptr;
    return st;
  }

  const plan::StreamDef& def_;
  std::string path_;
  SinkFormat format_;
  bool header_ = false;
  int64_t roll_bytes_ = 0, roll_ms_ = 0;  // 0: not by size, not by age
  // Used under the write lock only (StagedSink).
  FILE* file_ = nullptr;
  int64_t size_ = 0;          // of the file being written
  int64_t header_bytes_ = 0;  // of its CSV header: a file of only that is not rolled
  uint64_t rolled_ = 0;       // the number of the newest rolled file
  std::chrono::steady_clock::time_point opened_;
};

}  // namespace

namespace {

bool IsGlob(const std::string& path) { return path.find_first_of("*?[") != std::string::npos; }

// The files of a glob 'path', each read to its end by a LineSource of its own, in name order. Its
// position is the file's and the offset in it: "file=<path> offset=<bytes> line=<n>" (the files
// before it are done).
class GlobSource final : public Source {
 public:
  GlobSource(const plan::StreamDef& def, std::string pattern)
      : def_(def), pattern_(std::move(pattern)) {}

  std::string where() const override { return pattern_; }

  Status Resume(std::string_view position) override {
    size_t space = position.find(" offset=");
    if (position.rfind("file=", 0) != 0 || space == std::string_view::npos)
      return Status::InvalidArgument(Named(def_) + ": a bad file position '" +
                                     std::string(position) + "' in the checkpoint");
    resume_file_ = std::string(position.substr(5, space - 5));
    resume_at_ = std::string(position.substr(space + 1));
    return Status::OK();
  }

  Status Run(SourceContext& ctx) override {
    glob_t g{};
    int rc = ::glob(pattern_.c_str(), GLOB_ERR, nullptr, &g);
    std::vector<std::string> files;
    for (size_t i = 0; rc == 0 && i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
    ::globfree(&g);
    if (rc != 0 && rc != GLOB_NOMATCH)
      return Status::IoError(Named(def_) + ": cannot list the files of '" + pattern_ + "'");
    if (files.empty()) return Status::IoError(Named(def_) + ": no file matches '" + pattern_ + "'");
    std::sort(files.begin(), files.end());  // glob sorts by the locale; this by bytes
    uint64_t total = 0;
    for (const std::string& f : files) {
      struct stat st;
      if (::stat(f.c_str(), &st) == 0 && S_ISREG(st.st_mode)) total += st.st_size;
    }
    progress_.total_bytes.store(total);
    uint64_t records = 0, bytes = 0;  // of the files done
    for (const std::string& f : files) {
      if (ctx.stopping()) return Status::OK();
      if (!resume_file_.empty() && f < resume_file_) continue;  // read before the checkpoint
      LineSource file(def_, f);
      if (f == resume_file_) RETURN_IF_ERROR(file.Resume(resume_at_));
      SourceContext inner = ctx;
      const SourceProgress& p = file.progress();
      inner.emit = [&](const Batch& batch, std::string_view position) {
        progress_.records.store(records + p.records.load(), std::memory_order_relaxed);
        progress_.bytes.store(bytes + p.bytes.load(), std::memory_order_relaxed);
        return ctx.emit(
            batch, position.empty() ? std::string() : "file=" + f + " " + std::string(position));
      };
      RETURN_IF_ERROR(file.Run(inner));
      if (!p.finished.load()) return Status::OK();  // stopped
      records += p.records.load();
      bytes += p.bytes.load();
      progress_.records.store(records);
      progress_.bytes.store(bytes);
    }
    progress_.caught_up.store(true);
    progress_.finished.store(true);
    return Status::OK();
  }

 private:
  const plan::StreamDef& def_;
  std::string pattern_;
  std::string resume_file_, resume_at_;
};

}  // namespace

Result<std::unique_ptr<Source>> MakeFileSource(const plan::StreamDef& def) {
  std::string path = Prop(def, "path", "");
  if (IsGlob(path)) return std::unique_ptr<Source>(new GlobSource(def, std::move(path)));
  return std::unique_ptr<Source>(new LineSource(def, std::move(path)));
}

Result<std::unique_ptr<Source>> MakeStdinSource(const plan::StreamDef& def) {
  return std::unique_ptr<Source>(new LineSource(def, ""));
}

namespace {

Result<std::unique_ptr<Sink>> OpenFileSink(const plan::StreamDef& def, std::string path,
                                           const SinkOpen& open) {
  auto sink = std::make_unique<FileSink>(def, std::move(path), open.changelog);
  RETURN_IF_ERROR(sink->Open(open.resume));
  return std::unique_ptr<Sink>(std::move(sink));
}

}  // namespace

Result<std::unique_ptr<Sink>> MakeFileSink(const plan::StreamDef& def, const SinkOpen& open) {
  return OpenFileSink(def, Prop(def, "path", ""), open);
}

Result<std::unique_ptr<Sink>> MakeStdoutSink(const plan::StreamDef& def, const SinkOpen& open) {
  return OpenFileSink(def, "", open);
}

}  // namespace sluice::connectors
