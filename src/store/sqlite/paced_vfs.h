#pragma once
// An SQLite VFS that sends what a connection writes to the disk a megabyte at a time, as it writes
// it, instead of all at once when SQLite syncs (DESIGN.md section 3, "One disk").
//
// The projector commits tens of megabytes at a time and the checkpoints copy as much into the
// database file; left to the sync that ends each, they reach the disk in one burst. On a disk
// whose flush must also carry everything written before it (a virtual machine's, a RAID
// controller's), each of the log's group commits queued behind such a burst waits for all of it:
// the answer path's slowest answers were those waits (docs/benchmarks.md). Here every megabyte
// written to a database file or a WAL is handed to the kernel's writeback at once
// (sync_file_range), and the next one waits until the one before has been written to the device,
// so a flush never finds more than about two megabytes ahead of it. A writeback that failed is
// reported by the file's next sync, as fsync() would have reported it. What is durable, and when, does not
// change: SQLite's own syncs still end each commit and checkpoint, and find little left to write.
//
// Wraps the default VFS ("unix"). Files it cannot pace (another VFS, a descriptor it cannot
// confirm is the file's) are written as the default VFS writes them.
#include <cstdint>

namespace qrscene::store::sqlite {

// Registers the VFS on first use (not as the default) and returns its name for sqlite3_open_v2.
[[nodiscard]] const char* paced_vfs();

// Writebacks started since the process began (a megabyte or more each).
[[nodiscard]] std::int64_t paced_writebacks() noexcept;

// Tests: what stands for sync_file_range(2) (nullptr: the real one again); returns the one before.
using SyncFileRange = int (*)(int fd, std::int64_t offset, std::int64_t length, unsigned int flags);
SyncFileRange set_sync_file_range_for_testing(SyncFileRange f) noexcept;

}  // namespace qrscene::store::sqlite
