// Files and the standard streams, in JSON lines or CSV.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "common/format.h"
#include "connectors/connector.h"
#include "connectors/csv_codec.h"
#include "connectors/json_codec.h"
#include "connectors/registry.h"
#include "connectors/sink_format.h"
#include "exec/event_time.h"

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
  }

  std::string where() const override { return path_; }

  Status Run(SourceContext& ctx) override {
    int fd = 0;
    if (!path_.empty()) {
      fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return Status::IoError("stream '" + def_.name + "': cannot open '" + path_ +
                               "': " + std::strerror(errno));
      struct stat st;
      if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        return Status::IoError("stream '" + def_.name + "': '" + path_ +
                               "' is a directory, not a file");
      }
      if (S_ISREG(st.st_mode)) progress_.total_bytes.store(static_cast<uint64_t>(st.st_size));
    }
    Batch batch(def_.schema);
    std::string pending;
    std::vector<char> buf(1 << 16);
    int64_t line_no = 0;
    Status result;
    while (!ctx.stopping()) {
      // Wait for input a little at a time, so that a stop is seen while stdin or a pipe is idle.
      struct pollfd p = {fd, POLLIN, 0};
      int ready = ::poll(&p, 1, 100);
      if (ready < 0 && errno != EINTR) {
        result = Status::IoError("stream '" + def_.name + "': read error: " + std::strerror(errno));
        break;
      }
      if (ready <= 0) continue;
      ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        result = Status::IoError("stream '" + def_.name + "': read error: " + std::strerror(errno));
        break;
      }
      if (n == 0) {
        progress_.finished.store(true);
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
          result = Flush(&batch, ctx);
          if (!result.ok()) break;
        }
      }
      if (!result.ok()) break;
      pending.erase(0, start);
      // Whatever a read returned is handed on at once: no waiting for a full batch.
      result = Flush(&batch, ctx);
      if (!result.ok()) break;
    }
    if (result.ok() && !pending.empty() && !ctx.stopping()) {
      progress_.records.store(static_cast<uint64_t>(line_no + 1), std::memory_order_relaxed);
      result = Line(pending, ++line_no, &batch, ctx);
      if (result.ok()) result = Flush(&batch, ctx);
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
          return Status::InvalidArgument("stream '" + def_.name + "': " + where + ": " +
                                         st.message());
        return Status::OK();
      }
    }
    size_t row = batch->AddRow(ctx.clock->NowMillis());
    Status st = csv_ ? DecodeCsvFields(fields_, columns_, def_.schema, batch, row)
                     : json_.Decode(line, batch, row);
    std::string problem;
    if (st.ok() && !exec::StampEventTime(def_.event_time, batch, row, &problem))
      st = Status::InvalidArgument(problem);
    if (!st.ok()) {
      batch->Resize(row);
      ctx.malformed(where, st.message());
    }
    return Status::OK();
  }

  Status Flush(Batch* batch, SourceContext& ctx) {
    if (batch->num_rows() == 0) return Status::OK();
    Status st = ctx.emit(*batch);
    batch->Clear();
    return st;
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
};

class FileSink final : public StagedSink {
 public:
  FileSink(const plan::StreamDef& def, std::string path, bool changelog)
      : def_(def), path_(std::move(path)), format_(SinkFormatOf(def, changelog)) {
    bool b = false;
    header_ = ParseBool(Prop(def, "header", "false"), &b) && b;
  }
  ~FileSink() override { Close(); }
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  std::string where() const override { return path_.empty() ? "stdout" : path_; }

  Status Open() {
    if (path_.empty()) {
      file_ = stdout;
    } else {
      file_ = std::fopen(path_.c_str(), "w");
      if (!file_)
        return Status::IoError("stream '" + def_.name + "': cannot write '" + path_ +
                               "': " + std::strerror(errno));
    }
    if (format_.csv && header_) {
      std::string header;
      if (format_.changelog) header = std::string("op") + format_.delimiter;
      AppendCsvHeader(&header, def_.schema, format_.delimiter);
      RETURN_IF_ERROR(Write(header, {static_cast<uint32_t>(header.size())}));
    }
    return Status::OK();
  }

 private:
  void Encode(const Batch& batch, size_t row, std::string* out) override {
    AppendSinkRow(format_, def_.schema, batch, row, out);
  }

  Status Write(std::string_view bytes, const std::vector<uint32_t>&) override {
    if (!file_) return Status::OK();
    if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size() ||
        std::fflush(file_) != 0)
      return Status::IoError("stream '" + def_.name + "': write to '" + where() +
                             "' failed: " + std::strerror(errno));
    return Status::OK();
  }

  Status CloseOutput() override {
    if (!file_) return Status::OK();
    Status st;
    if (std::fflush(file_) != 0)
      st = Status::IoError("stream '" + def_.name + "': write to '" + where() +
                           "' failed: " + std::strerror(errno));
    if (file_ != stdout) std::fclose(file_);
    file_ = nullptr;
    return st;
  }

  const plan::StreamDef& def_;
  std::string path_;
  SinkFormat format_;
  bool header_ = false;
  FILE* file_ = nullptr;  // used under the write lock only (StagedSink)
};

}  // namespace

Result<std::unique_ptr<Source>> MakeFileSource(const plan::StreamDef& def) {
  return std::unique_ptr<Source>(new LineSource(def, Prop(def, "path", "")));
}

Result<std::unique_ptr<Source>> MakeStdinSource(const plan::StreamDef& def) {
  return std::unique_ptr<Source>(new LineSource(def, ""));
}

namespace {

Result<std::unique_ptr<Sink>> OpenFileSink(const plan::StreamDef& def, std::string path,
                                           bool changelog) {
  auto sink = std::make_unique<FileSink>(def, std::move(path), changelog);
  RETURN_IF_ERROR(sink->Open());
  return std::unique_ptr<Sink>(std::move(sink));
}

}  // namespace

Result<std::unique_ptr<Sink>> MakeFileSink(const plan::StreamDef& def, bool changelog) {
  return OpenFileSink(def, Prop(def, "path", ""), changelog);
}

Result<std::unique_ptr<Sink>> MakeStdoutSink(const plan::StreamDef& def, bool changelog) {
  return OpenFileSink(def, "", changelog);
}

}  // namespace sluice::connectors
