#include "store/sqlite/paced_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <new>

namespace qrscene::store::sqlite {
namespace {

constexpr sqlite3_int64 kChunk = 1 << 20;  // written, then sent to the disk
constexpr sqlite3_int64 kPage = 4096;      // the kernel's: a page half written is sent with the next

std::atomic<std::int64_t> g_writebacks{0};
std::atomic<SyncFileRange> g_sync_file_range{&::sync_file_range};
sqlite3_vfs* g_default = nullptr;  // "unix": what every call is forwarded to
sqlite3_vfs g_paced;

// The first members of the unix VFS's file (os_unix.c, `struct unixFile`), unchanged since 2008:
// its descriptor, read only after fstat() confirms it is the file just opened.
struct UnixFileHead {
  const sqlite3_io_methods* methods;
  sqlite3_vfs* vfs;
  void* inode;
  int fd;
};

struct PacedFile {
  sqlite3_file base;            // base.pMethods = &methods
  sqlite3_io_methods methods;   // the default file's, with xWrite, xSync and xTruncate wrapped
  sqlite3_file* real;           // the default VFS's file, right after this struct
  int fd = -1;                  // the real file's descriptor; -1: not paced
  int writeback_error = 0;      // errno of a writeback that failed, for the next xSync to report
  sqlite3_int64 lo = 0, hi = 0;            // the range written since the last writeback
  sqlite3_int64 unsent = 0;                // bytes written into it
  sqlite3_int64 sent_lo = 0, sent_hi = 0;  // the last writeback, maybe still on its way
};
static_assert(sizeof(PacedFile) % 8 == 0, "the real file follows, 8-byte aligned");

PacedFile* paced(sqlite3_file* f) { return reinterpret_cast<PacedFile*>(f); }

// Waits for the last range sent to be written to the device, then sends what was written since,
// up to its last whole page.
void write_back(PacedFile* p) {
  const sqlite3_int64 end = p->hi / kPage * kPage;
  if (end <= p->lo) return;
  const SyncFileRange sync_file_range = g_sync_file_range.load(std::memory_order_relaxed);
  // The wait reports a failed writeback of the file on SQLite's own descriptor, and only once:
  // kept for SQLite's next sync, which would have reported it (it would see none itself).
  if (p->sent_hi > p->sent_lo &&
      sync_file_range(p->fd, p->sent_lo, p->sent_hi - p->sent_lo, SYNC_FILE_RANGE_WAIT_BEFORE) != 0 &&
      p->writeback_error == 0) {
    p->writeback_error = errno;
  }
  if (sync_file_range(p->fd, p->lo, end - p->lo, SYNC_FILE_RANGE_WRITE) == 0) {
    g_writebacks.fetch_add(1, std::memory_order_relaxed);
  }
  p->sent_lo = p->lo;
  p->sent_hi = end;
  p->lo = end;
  p->unsent = p->hi - end;
  if (p->unsent == 0) p->lo = p->hi = 0;
}

void forget_ranges(PacedFile* p) { p->lo = p->hi = p->unsent = p->sent_lo = p->sent_hi = 0; }

int x_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  PacedFile* p = paced(f);
  const int rc = p->real->pMethods->xWrite(p->real, data, amount, offset);
  if (rc != SQLITE_OK || p->fd < 0) return rc;
  if (p->hi == p->lo) {
    p->lo = offset;
    p->hi = offset + amount;
  } else {
    p->lo = std::min(p->lo, offset);
    p->hi = std::max(p->hi, offset + amount);
  }
  // A checkpoint writes pages all over the file: the range may be wide and hold clean pages,
  // which the writeback skips; what counts is what was written into it.
  p->unsent += amount;
  if (p->unsent >= kChunk) write_back(p);
  return rc;
}

int x_sync(sqlite3_file* f, int flags) {
  PacedFile* p = paced(f);
  const int rc = p->real->pMethods->xSync(p->real, flags);
  if (p->writeback_error != 0) {
    p->writeback_error = 0;
    forget_ranges(p);
    return SQLITE_IOERR_FSYNC;  // what fsync() would have said: part of the file never reached the disk
  }
  if (rc == SQLITE_OK) forget_ranges(p);  // all of it is on the disk now
  return rc;
}

int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  PacedFile* p = paced(f);
  forget_ranges(p);
  return p->real->pMethods->xTruncate(p->real, size);
}

int x_close(sqlite3_file* f) {
  PacedFile* p = paced(f);
  return p->real->pMethods->xClose(p->real);
}

// The rest only forward to the real file.
int x_read(sqlite3_file* f, void* data, int amount, sqlite3_int64 offset) {
  return paced(f)->real->pMethods->xRead(paced(f)->real, data, amount, offset);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) { return paced(f)->real->pMethods->xFileSize(paced(f)->real, size); }
int x_lock(sqlite3_file* f, int lock) { return paced(f)->real->pMethods->xLock(paced(f)->real, lock); }
int x_unlock(sqlite3_file* f, int lock) { return paced(f)->real->pMethods->xUnlock(paced(f)->real, lock); }
int x_check_reserved_lock(sqlite3_file* f, int* out) {
  return paced(f)->real->pMethods->xCheckReservedLock(paced(f)->real, out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
  return paced(f)->real->pMethods->xFileControl(paced(f)->real, op, arg);
}
int x_sector_size(sqlite3_file* f) { return paced(f)->real->pMethods->xSectorSize(paced(f)->real); }
int x_device_characteristics(sqlite3_file* f) {
  return paced(f)->real->pMethods->xDeviceCharacteristics(paced(f)->real);
}
int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return paced(f)->real->pMethods->xShmMap(paced(f)->real, region, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return paced(f)->real->pMethods->xShmLock(paced(f)->real, offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) { paced(f)->real->pMethods->xShmBarrier(paced(f)->real); }
int x_shm_unmap(sqlite3_file* f, int delete_flag) {
  return paced(f)->real->pMethods->xShmUnmap(paced(f)->real, delete_flag);
}
int x_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  return paced(f)->real->pMethods->xFetch(paced(f)->real, offset, amount, out);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* page) {
  return paced(f)->real->pMethods->xUnfetch(paced(f)->real, offset, page);
}

// The descriptor of a file the default VFS opened, when it is certainly that file's.
int descriptor_of(sqlite3_file* real, const char* name) {
  if (std::strcmp(g_default->zName, "unix") != 0 || name == nullptr) return -1;
  const int fd = reinterpret_cast<const UnixFileHead*>(real)->fd;
  struct stat by_fd{};
  struct stat by_name{};
  if (fd < 0 || ::fstat(fd, &by_fd) != 0 || ::stat(name, &by_name) != 0) return -1;
  if (by_fd.st_dev != by_name.st_dev || by_fd.st_ino != by_name.st_ino || !S_ISREG(by_fd.st_mode)) return -1;
  return fd;
}

int x_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  PacedFile* p = new (f) PacedFile{};
  p->real = reinterpret_cast<sqlite3_file*>(p + 1);
  const int rc = g_default->xOpen(g_default, name, p->real, flags, out_flags);
  const sqlite3_io_methods* real = p->real->pMethods;
  if (real == nullptr) {
    p->base.pMethods = nullptr;  // nothing to close
    return rc;
  }
  // The default file's methods, each wrapped only where it has one (the unix VFS's files other
  // than a database have no xShm*), at its version at most.
  p->methods = sqlite3_io_methods{};
  p->methods.iVersion = std::min(real->iVersion, 3);
  p->methods.xClose = x_close;
  p->methods.xRead = x_read;
  p->methods.xWrite = x_write;
  p->methods.xTruncate = x_truncate;
  p->methods.xSync = x_sync;
  p->methods.xFileSize = x_file_size;
  p->methods.xLock = x_lock;
  p->methods.xUnlock = x_unlock;
  p->methods.xCheckReservedLock = x_check_reserved_lock;
  p->methods.xFileControl = x_file_control;
  p->methods.xSectorSize = x_sector_size;
  p->methods.xDeviceCharacteristics = x_device_characteristics;
  if (real->iVersion >= 2) {
    if (real->xShmMap != nullptr) p->methods.xShmMap = x_shm_map;
    if (real->xShmLock != nullptr) p->methods.xShmLock = x_shm_lock;
    if (real->xShmBarrier != nullptr) p->methods.xShmBarrier = x_shm_barrier;
    if (real->xShmUnmap != nullptr) p->methods.xShmUnmap = x_shm_unmap;
  }
  if (real->iVersion >= 3) {
    if (real->xFetch != nullptr) p->methods.xFetch = x_fetch;
    if (real->xUnfetch != nullptr) p->methods.xUnfetch = x_unfetch;
  }
  p->base.pMethods = &p->methods;
  const bool written_much = (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)) != 0 && (flags & SQLITE_OPEN_READONLY) == 0;
  if (rc == SQLITE_OK && written_much) p->fd = descriptor_of(p->real, name);
  return rc;
}

// The VFS's other calls, forwarded with the default VFS as their first argument.
int x_delete(sqlite3_vfs*, const char* name, int sync_dir) { return g_default->xDelete(g_default, name, sync_dir); }
int x_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_default->xAccess(g_default, name, flags, out);
}
int x_full_pathname(sqlite3_vfs*, const char* name, int size, char* out) {
  return g_default->xFullPathname(g_default, name, size, out);
}
void* x_dl_open(sqlite3_vfs*, const char* name) { return g_default->xDlOpen(g_default, name); }
void x_dl_error(sqlite3_vfs*, int size, char* out) { g_default->xDlError(g_default, size, out); }
void (*x_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return g_default->xDlSym(g_default, handle, symbol);
}
void x_dl_close(sqlite3_vfs*, void* handle) { g_default->xDlClose(g_default, handle); }
int x_randomness(sqlite3_vfs*, int size, char* out) { return g_default->xRandomness(g_default, size, out); }
int x_sleep(sqlite3_vfs*, int micros) { return g_default->xSleep(g_default, micros); }
int x_current_time(sqlite3_vfs*, double* out) { return g_default->xCurrentTime(g_default, out); }
int x_get_last_error(sqlite3_vfs*, int size, char* out) { return g_default->xGetLastError(g_default, size, out); }
int x_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) { return g_default->xCurrentTimeInt64(g_default, out); }

}  // namespace

const char* paced_vfs() {
  static std::once_flag registered;
  std::call_once(registered, [] {
    g_default = sqlite3_vfs_find(nullptr);
    if (g_default == nullptr) return;  // SQLite did not initialise: its open says why
    g_paced = sqlite3_vfs{};
    g_paced.iVersion = 2;
    g_paced.szOsFile = static_cast<int>(sizeof(PacedFile)) + g_default->szOsFile;
    g_paced.mxPathname = g_default->mxPathname;
    g_paced.zName = "qrscene-paced";
    g_paced.xOpen = x_open;
    g_paced.xDelete = x_delete;
    g_paced.xAccess = x_access;
    g_paced.xFullPathname = x_full_pathname;
    g_paced.xDlOpen = x_dl_open;
    g_paced.xDlError = x_dl_error;
    g_paced.xDlSym = x_dl_sym;
    g_paced.xDlClose = x_dl_close;
    g_paced.xRandomness = x_randomness;
    g_paced.xSleep = x_sleep;
    g_paced.xCurrentTime = x_current_time;
    g_paced.xGetLastError = x_get_last_error;
    g_paced.xCurrentTimeInt64 = g_default->iVersion >= 2 ? x_current_time_int64 : nullptr;
    if (sqlite3_vfs_register(&g_paced, 0) != SQLITE_OK) g_paced.zName = nullptr;  // the default VFS then
  });
  return g_paced.zName;
}

std::int64_t paced_writebacks() noexcept { return g_writebacks.load(std::memory_order_relaxed); }

SyncFileRange set_sync_file_range_for_testing(SyncFileRange f) noexcept {
  return g_sync_file_range.exchange(f == nullptr ? &::sync_file_range : f);
}

}  // namespace qrscene::store::sqlite
