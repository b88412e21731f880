//! Running a user's command so that nothing it starts outlives it: its own process group, and
//! on Linux picklefix as a subreaper, so that children that left the group (a new session,
//! `start_new_session=True`) are re-parented to picklefix instead of init and are found through
//! /proc and killed with the rest. Output is kept to its tail. SIGINT, SIGTERM and SIGHUP are
//! turned into a flag the callers poll, so they can stop the command and undo their work.
//! On Windows the command gets a new process group and `taskkill /T` stops its tree.

use std::io::Read;
use std::sync::atomic::{AtomicI32, Ordering};

/// Bytes of each output stream kept (the end of it).
pub const OUTPUT_TAIL: usize = 1 << 20;

static INTERRUPTED: AtomicI32 = AtomicI32::new(0);

/// From now on SIGINT, SIGTERM and SIGHUP set a flag instead of ending the process.
pub fn catch_interrupts() {
    #[cfg(unix)]
    {
        extern "C" fn on_signal(sig: libc::c_int) {
            INTERRUPTED.store(sig, Ordering::SeqCst);
        }
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
            unsafe {
                libc::signal(sig, on_signal as *const () as libc::sighandler_t);
            }
        }
    }
}

/// The signal that asked us to stop, if one came since `catch_interrupts`.
pub fn interrupted() -> Option<i32> {
    match INTERRUPTED.load(Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}

/// Exit status for a run stopped by a signal, as shells report it (130 for SIGINT).
pub fn exit_code_for(sig: i32) -> i32 {
    128 + sig
}

/// Prepare a command: its own process group, and (once) picklefix as a subreaper.
pub fn contain(cmd: &mut std::process::Command) {
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(cmd, 0);
    #[cfg(windows)]
    {
        const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
        std::os::windows::process::CommandExt::creation_flags(cmd, CREATE_NEW_PROCESS_GROUP);
    }
    #[cfg(target_os = "linux")]
    {
        static SUBREAPER: std::sync::Once = std::sync::Once::new();
        // SAFETY: prctl with an integer argument; failure only loses the re-parenting.
        SUBREAPER.call_once(|| unsafe {
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        });
    }
    #[cfg(not(any(unix, windows)))]
    let _ = cmd;
}

/// Stop the command and everything it started: its process group, then every descendant
/// still found (those in other groups or sessions), until none is left; then reap the orphans
/// that were re-parented to us.
pub fn kill_tree(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        // SAFETY: killpg on the group we created for the child; failure (gone) is fine.
        unsafe {
            libc::killpg(child.id() as libc::pid_t, libc::SIGKILL);
        }
        kill_descendants(child.id());
    }
    // Windows has no process groups to signal: `taskkill /T` stops the process and every
    // process it started; the direct kill covers a missing taskkill.
    #[cfg(windows)]
    let _ = std::process::Command::new("taskkill")
        .args(["/F", "/T", "/PID", &child.id().to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    #[cfg(not(unix))]
    let _ = child.kill();
}

/// Every process under picklefix: its children (the command, and orphans of the command that
/// were re-parented to it as a subreaper; picklefix runs one command at a time) and theirs.
#[cfg(target_os = "linux")]
fn kill_descendants(root: u32) {
    let me = std::process::id();
    for _ in 0..100 {
        let table = process_table();
        let mut found: Vec<u32> = table.iter().filter(|p| p.ppid == me).map(|p| p.pid).collect();
        let mut frontier = found.clone();
        while let Some(pid) = frontier.pop() {
            for p in table.iter().filter(|p| p.ppid == pid) {
                if !found.contains(&p.pid) {
                    found.push(p.pid);
                    frontier.push(p.pid);
                }
            }
        }
        let alive: Vec<&Proc> = table.iter().filter(|p| found.contains(&p.pid) && !p.zombie).collect();
        for p in &alive {
            // SAFETY: kill on a pid we just saw as a descendant.
            unsafe {
                libc::kill(p.pid as libc::pid_t, libc::SIGKILL);
            }
        }
        // Reap the orphans; the command itself is left to its `Child` handle.
        for p in table.iter().filter(|p| p.ppid == me && p.pid != root) {
            let mut status = 0;
            // SAFETY: waitpid on a child of ours, without blocking.
            unsafe {
                libc::waitpid(p.pid as libc::pid_t, &mut status, libc::WNOHANG);
            }
        }
        if alive.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
fn kill_descendants(_root: u32) {}

#[cfg(target_os = "linux")]
struct Proc {
    pid: u32,
    ppid: u32,
    zombie: bool,
}

/// Every process's parent and state, from /proc/PID/stat.
#[cfg(target_os = "linux")]
fn process_table() -> Vec<Proc> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // The command name may hold spaces and parentheses: fields follow the last ')'.
            let mut rest = stat[stat.rfind(')')? + 1..].split_whitespace();
            let state = rest.next()?;
            let ppid = rest.next()?.parse().ok()?;
            Some(Proc {
                pid,
                ppid,
                zombie: state == "Z" || state == "X",
            })
        })
        .collect()
}

/// The end of an output stream and how long it was.
#[derive(Debug, Default, Clone)]
pub struct Tail {
    pub bytes: Vec<u8>,
    pub total: u64,
}

impl Tail {
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// "", or " (the last 1 MiB of 1.0 GiB)" when bytes were dropped.
    pub fn cut_note(&self) -> String {
        if self.total as usize <= self.bytes.len() {
            return String::new();
        }
        format!(
            " (only the last {} of {} were kept)",
            human(self.bytes.len() as u64),
            human(self.total)
        )
    }
}

fn human(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} bytes"),
    }
}

/// Read a stream to its end on a thread, keeping its last `keep` bytes.
pub fn read_tail<R: Read + Send + 'static>(pipe: Option<R>, keep: usize) -> std::thread::JoinHandle<Tail> {
    std::thread::spawn(move || {
        let mut tail = Tail::default();
        let Some(mut pipe) = pipe else { return tail };
        let mut chunk = vec![0u8; 64 << 10];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    tail.total += n as u64;
                    tail.bytes.extend_from_slice(&chunk[..n]);
                    // Drop the front in large steps: amortised, and never twice the cap.
                    if tail.bytes.len() > keep.saturating_mul(2).max(chunk.len()) {
                        let cut = tail.bytes.len() - keep;
                        tail.bytes.drain(..cut);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        if tail.bytes.len() > keep {
            let cut = tail.bytes.len() - keep;
            tail.bytes.drain(..cut);
        }
        tail
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_tail_and_counts_everything() {
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let tail = read_tail(Some(std::io::Cursor::new(data.clone())), 1000)
            .join()
            .unwrap();
        assert_eq!(tail.total, 1_000_000);
        assert_eq!(tail.bytes, data[data.len() - 1000..]);
        assert!(
            tail.cut_note().contains("1000 bytes of 976.6 KiB"),
            "{}",
            tail.cut_note()
        );
        let short = read_tail(Some(std::io::Cursor::new(b"abc".to_vec())), 1000)
            .join()
            .unwrap();
        assert_eq!((short.bytes.as_slice(), short.cut_note().as_str()), (&b"abc"[..], ""));
    }
}
