#include "events/spool.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <limits>

namespace ks::events {
namespace {

namespace fs = std::filesystem;

// events.spool: header = "KSSPOOL1", the lowest sequence number a new record may take (u64:
// the next one when the file was written), CRC32 of those 16 bytes.
constexpr char kSpoolMagic[8] = {'K', 'S', 'S', 'P', 'O', 'O', 'L', '1'};
constexpr std::int64_t kSpoolHeader = 20;
// A record: magic (u32), body length (u32), seq (u64), CRC32 of length+seq+body (u32),
// body = key length (u32), key, value.
constexpr std::uint32_t kRecordMagic = 0x3152534bU;  // "KSR1" little-endian
constexpr std::int64_t kFrame = 20;
constexpr std::uint32_t kMaxBody = 16U * 1024 * 1024;  // larger lengths are damage
// Sequence numbers from 2^63 on are damage wherever they appear (a record, an acks entry, the
// header): no spool gets there (2^63 events at a million a second take 292,000 years), and
// one near 2^64 would wrap the next sequence number round to the start.
constexpr std::uint64_t kSeqLimit = std::uint64_t{1} << 63;
// events.acks: header = "KSACKS01"; entries: kind (u32), seq (u64), time ms (i64), CRC32.
constexpr char kAcksMagic[8] = {'K', 'S', 'A', 'C', 'K', 'S', '0', '1'};
constexpr std::int64_t kAcksHeader = 8;
constexpr std::int64_t kAckEntry = 24;
constexpr std::uint32_t kAttempt = 1, kAck = 2, kDrop = 3;
// Compaction: rewrite when the delivered part is over this and over the pending part, or
// as soon as nothing is pending.
constexpr std::int64_t kCompactDeadBytes = 1024 * 1024;
constexpr std::int64_t kCompactAcksBytes = 1024 * 1024;
constexpr int kDamagedCopiesKept = 3;

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::uint32_t get_u32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}
std::uint64_t get_u64(const unsigned char* p) {
  return static_cast<std::uint64_t>(get_u32(p)) | static_cast<std::uint64_t>(get_u32(p + 4)) << 32;
}
std::uint32_t crc(const void* data, std::size_t size) {
  return static_cast<std::uint32_t>(
      crc32(0L, static_cast<const Bytef*>(data), static_cast<uInt>(size)));
}

[[noreturn]] void fail(const std::string& what, const fs::path& path) {
  throw SpoolError(fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)));
}

void write_all(int fd, const std::string& data, std::int64_t offset, const fs::path& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = pwrite(fd, data.data() + done, data.size() - done,
                             static_cast<off_t>(offset + static_cast<std::int64_t>(done)));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path);
    }
    done += static_cast<std::size_t>(n);
  }
}

void sync_fd(int fd, const fs::path& path) {
  if (fdatasync(fd) != 0) fail("cannot fsync", path);
}

void sync_dir(const fs::path& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("cannot open directory", dir);
  const int rc = fsync(fd);
  close(fd);
  if (rc != 0) fail("cannot fsync directory", dir);
}

int open_rw(const fs::path& path) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) fail("cannot open", path);
  return fd;
}

// Replaces `path` with `data` atomically and durably: written to PATH.tmp and fsync'd, renamed
// over `path`, then the directory fsync'd, so a crash leaves either the old file or the new.
void replace_file(const fs::path& path, const std::string& data) {
  const fs::path tmp = path.string() + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) fail("cannot create", tmp);
  try {
    write_all(fd, data, 0, tmp);
    sync_fd(fd, tmp);
  } catch (...) {
    close(fd);
    throw;
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) fail("cannot rename", tmp);
  sync_dir(path.parent_path());
}

std::int64_t size_of(int fd, const fs::path& path) {
  struct stat st {};
  if (fstat(fd, &st) != 0) fail("cannot stat", path);
  return static_cast<std::int64_t>(st.st_size);
}

std::string spool_header(std::uint64_t next_seq) {
  std::string h(kSpoolMagic, sizeof kSpoolMagic);
  put_u64(h, next_seq);
  put_u32(h, crc(h.data(), h.size()));
  return h;
}

std::string ack_entry(std::uint32_t kind, std::uint64_t seq, std::int64_t time_ms) {
  std::string e;
  put_u32(e, kind);
  put_u64(e, seq);
  put_u64(e, static_cast<std::uint64_t>(time_ms));
  put_u32(e, crc(e.data(), e.size()));
  return e;
}

std::string frame(std::uint64_t seq, const std::string& key, const std::string& value) {
  std::string body;
  put_u32(body, static_cast<std::uint32_t>(key.size()));
  body += key;
  body += value;
  std::string out;
  put_u32(out, kRecordMagic);
  put_u32(out, static_cast<std::uint32_t>(body.size()));
  put_u64(out, seq);
  std::string checked = out.substr(4);  // length and seq
  checked += body;
  put_u32(out, crc(checked.data(), checked.size()));
  out += body;
  return out;
}

// A read-only mapping of a whole file (empty when the file is empty or missing).
class Mapping {
 public:
  explicit Mapping(const fs::path& path) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return;
      fail("cannot open", path);
    }
    size_ = static_cast<std::size_t>(size_of(fd, path));
    if (size_ > 0) {
      void* p = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        close(fd);
        fail("cannot map", path);
      }
      data_ = static_cast<const unsigned char*>(p);
    }
    close(fd);
  }
  ~Mapping() {
    if (data_) munmap(const_cast<unsigned char*>(data_), size_);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  const unsigned char* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  const unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
};

// A valid record at `pos`: its frame size, else 0.
std::size_t record_at(const unsigned char* data, std::size_t size, std::size_t pos,
                      std::uint64_t& seq) {
  if (pos + kFrame > size) return 0;
  const unsigned char* p = data + pos;
  if (get_u32(p) != kRecordMagic) return 0;
  const std::uint32_t length = get_u32(p + 4);
  if (length < 4 || length > kMaxBody || pos + kFrame + length > size) return 0;
  if (get_u32(p + kFrame) > length - 4) return 0;  // key longer than the body
  // CRC over length+seq (contiguous at p+4) and the body (after the CRC).
  uLong c = crc32(0L, p + 4, 12);
  c = crc32(c, p + kFrame, length);
  if (static_cast<std::uint32_t>(c) != get_u32(p + 16)) return 0;
  seq = get_u64(p + 8);
  if (seq >= kSeqLimit) return 0;
  return static_cast<std::size_t>(kFrame + length);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Spool::Spool(std::filesystem::path dir, SpoolLimits limits)
    : dir_(std::move(dir)), limits_(limits) {
  try {
    recover();
  } catch (...) {
    if (spool_fd_ >= 0) close(spool_fd_);
    if (acks_fd_ >= 0) close(acks_fd_);
    if (lock_fd_ >= 0) close(lock_fd_);
    throw;
  }
}

Spool::~Spool() {
  if (spool_fd_ >= 0) close(spool_fd_);
  if (acks_fd_ >= 0) close(acks_fd_);
  if (lock_fd_ >= 0) close(lock_fd_);  // releases the lock
}

void Spool::scan_spool(const fs::path& path, std::map<std::uint64_t, Entry>& found,
                       std::uint64_t& header_next_seq,
                       std::vector<std::pair<std::int64_t, std::int64_t>>& damaged) {
  const Mapping map(path);
  const unsigned char* data = map.data();
  const std::size_t size = map.size();
  if (size == 0) return;
  std::size_t pos = 0;
  if (size >= static_cast<std::size_t>(kSpoolHeader) &&
      std::memcmp(data, kSpoolMagic, sizeof kSpoolMagic) == 0 &&
      crc(data, 16) == get_u32(data + 16) && get_u64(data + 8) < kSeqLimit) {
    header_next_seq = get_u64(data + 8);
    pos = static_cast<std::size_t>(kSpoolHeader);
  } else {
    recovery_.bad_header = true;
    recovery_.problems.push_back(
        fmt::format("{}: damaged header; looking for intact records in the whole file",
                    path.string()));
  }
  std::uint64_t last_seq = 0;
  std::size_t bad_start = SIZE_MAX;
  const auto end_bad = [&](std::size_t at) {
    if (bad_start == SIZE_MAX) return;
    damaged.emplace_back(static_cast<std::int64_t>(bad_start), static_cast<std::int64_t>(at));
    bad_start = SIZE_MAX;
  };
  while (pos < size) {
    std::uint64_t seq = 0;
    const std::size_t n = record_at(data, size, pos, seq);
    // Sequence numbers only grow: an older one here is not a record of this file.
    if (n > 0 && seq > last_seq) {
      end_bad(pos);
      found[seq] = Entry{static_cast<std::int64_t>(pos), static_cast<std::uint32_t>(n), 0};
      last_seq = seq;
      pos += n;
      continue;
    }
    if (bad_start == SIZE_MAX) bad_start = pos;
    ++pos;
  }
  end_bad(size);
}

void Spool::lock_directory() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw SpoolError(fmt::format("cannot create {}: {}", dir_.string(), ec.message()));

  const fs::path lock_path = dir_ / kLockFile;
  lock_fd_ = open_rw(lock_path);
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      throw SpoolError(fmt::format("spool {} is in use by another process", dir_.string()));
    }
    fail("cannot lock", lock_path);
  }
}

void Spool::note_spool_damage(const fs::path& spool_path,
                              const std::vector<std::pair<std::int64_t, std::int64_t>>& damaged,
                              std::size_t intact_records) {
  for (const auto& [from, to] : damaged) {
    recovery_.discarded_bytes += static_cast<std::uint64_t>(to - from);
    if (to == spool_size_) recovery_.truncated_tail = true;
  }
  recovery_.damaged_regions = damaged.size();
  if (damaged.empty()) return;
  std::string where;
  for (std::size_t i = 0; i < damaged.size() && i < 5; ++i) {
    where += fmt::format("{}{}..{}", i ? ", " : "", damaged[i].first, damaged[i].second);
  }
  recovery_.problems.push_back(fmt::format(
      "{}: {} damaged region(s), {} bytes discarded (byte offsets {}{}){}; {} intact record(s) kept",
      spool_path.string(), damaged.size(), recovery_.discarded_bytes, where,
      damaged.size() > 5 ? ", ..." : "",
      recovery_.truncated_tail ? ", the last record was cut short (truncated file)" : "",
      intact_records));
}

std::uint64_t Spool::apply_acks(const fs::path& acks_path, std::map<std::uint64_t, Entry>& found,
                                std::uint64_t max_seq) {
  const Mapping map(acks_path);
  const unsigned char* data = map.data();
  const std::size_t size = map.size();
  std::size_t pos = 0;
  if (size > 0) {
    if (size >= static_cast<std::size_t>(kAcksHeader) &&
        std::memcmp(data, kAcksMagic, sizeof kAcksMagic) == 0) {
      pos = static_cast<std::size_t>(kAcksHeader);
    } else {
      recovery_.problems.push_back(fmt::format("{}: damaged header", acks_path.string()));
      pos = static_cast<std::size_t>(kAcksHeader);
    }
  }
  std::size_t bad = 0;
  for (; pos + kAckEntry <= size; pos += kAckEntry) {
    const unsigned char* p = data + pos;
    if (crc(p, 20) != get_u32(p + 20)) {
      ++bad;
      continue;
    }
    const std::uint32_t kind = get_u32(p);
    const std::uint64_t seq = get_u64(p + 4);
    const auto time_ms = static_cast<std::int64_t>(get_u64(p + 12));
    // An attempt is written with the time it was made: one at or before 1970 is damage (and
    // compaction, which keeps only attempts with a time, would forget it at the next open).
    if (seq >= kSeqLimit || (kind == kAttempt && time_ms <= 0)) {
      ++bad;
      continue;
    }
    max_seq = std::max(max_seq, seq);
    const auto it = found.find(seq);
    if (it == found.end()) continue;
    if (kind == kAck || kind == kDrop) {
      found.erase(it);
    } else if (kind == kAttempt && it->second.first_attempt_ms == 0) {
      it->second.first_attempt_ms = time_ms;
    } else if (kind != kAttempt) {
      ++bad;
    }
  }
  const bool partial = pos < size && size > static_cast<std::size_t>(kAcksHeader);
  recovery_.discarded_ack_entries = bad + (partial ? 1 : 0);
  if (recovery_.discarded_ack_entries > 0) {
    recovery_.problems.push_back(fmt::format(
        "{}: {} damaged entr{} discarded (an acknowledged event may be sent again; its id "
        "is unchanged)",
        acks_path.string(), recovery_.discarded_ack_entries,
        recovery_.discarded_ack_entries == 1 ? "y" : "ies"));
  }
  return max_seq;
}

void Spool::open_acks(const fs::path& acks_path) {
  acks_fd_ = open_rw(acks_path);
  acks_size_ = size_of(acks_fd_, acks_path);
  if (acks_size_ == 0) {
    write_all(acks_fd_, std::string(kAcksMagic, sizeof kAcksMagic), 0, acks_path);
    sync_fd(acks_fd_, acks_path);
    acks_size_ = kAcksHeader;
  }
}

// Keeps the damaged original for a post-mortem (a few at most); compact() then rewrites it.
void Spool::keep_damaged_copy(const fs::path& spool_path) {
  std::error_code ec;
  const fs::path copy = dir_ / fmt::format("{}.damaged-{}", kSpoolFile, std::time(nullptr));
  fs::copy_file(spool_path, copy, fs::copy_options::overwrite_existing, ec);
  if (!ec) recovery_.damaged_copy = copy.string();
  std::vector<fs::path> copies;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (entry.path().filename().string().starts_with(std::string(kSpoolFile) + ".damaged-")) {
      copies.push_back(entry.path());
    }
  }
  std::sort(copies.begin(), copies.end());
  for (std::size_t i = 0; i + kDamagedCopiesKept < copies.size(); ++i) fs::remove(copies[i], ec);
}

void Spool::recover() {
  lock_directory();
  const fs::path spool_path = dir_ / kSpoolFile;
  const fs::path acks_path = dir_ / kAcksFile;
  std::map<std::uint64_t, Entry> found;
  std::uint64_t header_next_seq = 1;
  std::vector<std::pair<std::int64_t, std::int64_t>> damaged;
  scan_spool(spool_path, found, header_next_seq, damaged);
  spool_fd_ = open_rw(spool_path);
  spool_size_ = size_of(spool_fd_, spool_path);
  note_spool_damage(spool_path, damaged, found.size());

  // Acknowledgements, drops and attempts.
  const std::uint64_t max_seq =
      apply_acks(acks_path, found, found.empty() ? 0 : found.rbegin()->first);
  open_acks(acks_path);

  pending_ = std::move(found);
  pending_bytes_ = 0;
  for (const auto& [seq, e] : pending_) {
    pending_bytes_ += e.size;
    recovery_.attempted += e.first_attempt_ms > 0 ? 1 : 0;
  }
  recovery_.records = pending_.size();
  next_seq_ = std::max(header_next_seq, max_seq + 1);

  if (recovery_.damaged()) keep_damaged_copy(spool_path);

  const auto dropped = drop_for(0, 0);
  recovery_.dropped_over_limits = dropped.size();
  if (!dropped.empty()) {
    recovery_.problems.push_back(fmt::format(
        "{} oldest pending event(s) dropped: the spool holds more than its limits allow",
        dropped.size()));
  }
  if (spool_size_ == 0 || recovery_.damaged() ||
      spool_size_ - kSpoolHeader - pending_bytes_ > 0 || acks_size_ > kAcksHeader) {
    compact();
  }
}

std::vector<SpoolRecord> Spool::drop_for(std::int64_t extra_bytes, std::size_t extra_records) {
  std::vector<SpoolRecord> dropped;
  std::vector<std::uint64_t> seqs;
  while (!pending_.empty() && (pending_bytes_ + extra_bytes > limits_.max_bytes ||
                               pending_.size() + extra_records > limits_.max_records)) {
    const auto it = pending_.begin();
    dropped.push_back(read_record(it->first, it->second));
    seqs.push_back(it->first);
    pending_bytes_ -= it->second.size;
    pending_.erase(it);
  }
  if (!seqs.empty()) write_ack_entries(kDrop, seqs, now_ms());
  dropped_total_ += dropped.size();
  return dropped;
}

Spool::Appended Spool::append(const std::vector<std::pair<std::string, std::string>>& records,
                              const std::function<void(const std::vector<std::uint64_t>&)>& durable) {
  std::lock_guard lock(mutex_);
  Appended out;
  if (records.empty()) return out;
  std::string data;
  std::vector<Entry> entries;
  std::uint64_t seq = next_seq_;
  for (const auto& [key, value] : records) {
    const std::string f = frame(seq, key, value);
    if (static_cast<std::int64_t>(f.size()) > limits_.max_bytes ||
        f.size() - kFrame > kMaxBody) {
      throw SpoolError(fmt::format("an event of {} bytes does not fit in the spool", f.size()));
    }
    entries.push_back(Entry{spool_size_ + static_cast<std::int64_t>(data.size()),
                            static_cast<std::uint32_t>(f.size()), 0});
    out.seqs.push_back(seq++);
    data += f;
  }
  const fs::path path = dir_ / kSpoolFile;
  try {
    write_all(spool_fd_, data, spool_size_, path);
    sync_fd(spool_fd_, path);
  } catch (...) {
    // Leave no partial record behind (best effort: recovery would cut it out anyway).
    if (ftruncate(spool_fd_, static_cast<off_t>(spool_size_)) == 0) (void)fdatasync(spool_fd_);
    throw;
  }
  spool_size_ += static_cast<std::int64_t>(data.size());
  next_seq_ = seq;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    pending_[out.seqs[i]] = entries[i];
    pending_bytes_ += entries[i].size;
  }
  out.dropped = drop_for(0, 0);
  if (durable) durable(out.seqs);
  return out;
}

SpoolRecord Spool::read_record(std::uint64_t seq, const Entry& entry) const {
  std::string buffer(entry.size, '\0');
  std::size_t done = 0;
  while (done < buffer.size()) {
    const ssize_t n = pread(spool_fd_, buffer.data() + done, buffer.size() - done,
                            static_cast<off_t>(entry.offset + static_cast<std::int64_t>(done)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("cannot read", dir_ / kSpoolFile);
    done += static_cast<std::size_t>(n);
  }
  const auto* p = reinterpret_cast<const unsigned char*>(buffer.data());
  const std::uint32_t key_length = get_u32(p + kFrame);
  SpoolRecord r;
  r.seq = seq;
  r.key = buffer.substr(kFrame + 4, key_length);
  r.value = buffer.substr(kFrame + 4 + key_length);
  r.first_attempt_ms = entry.first_attempt_ms;
  return r;
}

std::vector<SpoolRecord> Spool::peek(std::size_t max_records, std::size_t max_bytes) const {
  std::lock_guard lock(mutex_);
  std::vector<SpoolRecord> out;
  std::size_t bytes = 0;
  for (const auto& [seq, entry] : pending_) {
    if (out.size() >= max_records) break;
    if (!out.empty() && bytes + entry.size > max_bytes) break;
    out.push_back(read_record(seq, entry));
    bytes += entry.size;
  }
  return out;
}

void Spool::write_ack_entries(std::uint32_t kind, const std::vector<std::uint64_t>& seqs,
                              std::int64_t time_ms) {
  if (seqs.empty()) return;
  std::string data;
  for (const std::uint64_t seq : seqs) data += ack_entry(kind, seq, time_ms);
  const fs::path path = dir_ / kAcksFile;
  write_all(acks_fd_, data, acks_size_, path);
  sync_fd(acks_fd_, path);
  acks_size_ += static_cast<std::int64_t>(data.size());
}

void Spool::mark_attempted(const std::vector<std::uint64_t>& seqs, std::int64_t time_ms) {
  std::lock_guard lock(mutex_);
  std::vector<std::uint64_t> first;
  for (const std::uint64_t seq : seqs) {
    const auto it = pending_.find(seq);
    if (it == pending_.end() || it->second.first_attempt_ms != 0) continue;
    it->second.first_attempt_ms = time_ms;
    first.push_back(seq);
  }
  write_ack_entries(kAttempt, first, time_ms);
}

void Spool::acknowledge(const std::vector<std::uint64_t>& seqs) {
  std::lock_guard lock(mutex_);
  std::vector<std::uint64_t> acked;
  for (const std::uint64_t seq : seqs) {
    const auto it = pending_.find(seq);
    if (it == pending_.end()) continue;
    pending_bytes_ -= it->second.size;
    pending_.erase(it);
    acked.push_back(seq);
  }
  write_ack_entries(kAck, acked, now_ms());
  maybe_compact();
}

void Spool::maybe_compact() {
  const std::int64_t dead = spool_size_ - kSpoolHeader - pending_bytes_;
  if ((pending_.empty() && dead > 0) ||
      (dead > kCompactDeadBytes && dead > pending_bytes_) || acks_size_ > kCompactAcksBytes) {
    compact();
  }
}

void Spool::compact() {
  const fs::path spool_path = dir_ / kSpoolFile;
  const fs::path acks_path = dir_ / kAcksFile;

  // 1. The pending records into a new spool file, which replaces the old one atomically.
  // The header keeps the next sequence number, not the first pending one: the acks of the
  // newest records go away below, and the numbers must not be handed out again after a
  // restart.
  std::string data = spool_header(next_seq_);
  std::map<std::uint64_t, Entry> moved;
  for (const auto& [seq, entry] : pending_) {
    const SpoolRecord r = read_record(seq, entry);
    const std::string f = frame(seq, r.key, r.value);
    moved[seq] = Entry{static_cast<std::int64_t>(data.size()), static_cast<std::uint32_t>(f.size()),
                       entry.first_attempt_ms};
    data += f;
  }
  replace_file(spool_path, data);
  close(spool_fd_);
  spool_fd_ = open_rw(spool_path);
  spool_size_ = static_cast<std::int64_t>(data.size());
  pending_ = std::move(moved);

  // 2. Then the acks (only after the spool: the old acks still match the new spool).
  std::string acks(kAcksMagic, sizeof kAcksMagic);
  for (const auto& [seq, entry] : pending_) {
    if (entry.first_attempt_ms > 0) acks += ack_entry(kAttempt, seq, entry.first_attempt_ms);
  }
  replace_file(acks_path, acks);
  close(acks_fd_);
  acks_fd_ = open_rw(acks_path);
  acks_size_ = static_cast<std::int64_t>(acks.size());
}

std::size_t Spool::depth() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

std::int64_t Spool::bytes() const {
  std::lock_guard lock(mutex_);
  return pending_bytes_;
}

std::uint64_t Spool::dropped_total() const {
  std::lock_guard lock(mutex_);
  return dropped_total_;
}

std::uint64_t Spool::next_seq() const {
  std::lock_guard lock(mutex_);
  return next_seq_;
}

std::int64_t Spool::file_bytes() const {
  std::lock_guard lock(mutex_);
  return spool_size_;
}

}  // namespace ks::events
