//! Running the binary on a pseudo-terminal, to test what it does for a person at a terminal
//! (prompts, hints). Built on `libc::openpty` (libc is already a dependency): a reader thread
//! collects everything the child writes, and [`Pty::expect`] waits for a piece of it.

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Pty {
    master: std::fs::File,
    pub child: Child,
    output: Arc<Mutex<String>>,
    /// How much of the output earlier `expect`s consumed.
    seen: usize,
}

/// Starts `cmd` with stdin, stdout and stderr on a new terminal (its controlling terminal).
pub fn spawn(mut cmd: Command) -> Pty {
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
        ws_row: 40,
        ws_col: 400,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two new descriptors into the given integers.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned by nobody else.
    let (master, slave) = unsafe {
        (
            std::fs::File::from_raw_fd(master),
            OwnedFd::from_raw_fd(slave),
        )
    };
    cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave));
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            libc::ioctl(0, libc::TIOCSCTTY, 0);
            Ok(())
        });
    }
    let child = cmd.spawn().expect("spawn on a pty");
    drop(cmd); // closes our copies of the terminal's child end
    let output = Arc::new(Mutex::new(String::new()));
    let mut reader = master.try_clone().unwrap();
    let sink = output.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        // Reading fails with EIO once the child's side is closed: that is the end.
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    Pty {
        master,
        child,
        output,
        seen: 0,
    }
}

impl Pty {
    /// Waits until `needle` appears after what earlier calls consumed; returns the output up to
    /// and including it. Panics with everything seen after `timeout`.
    pub fn expect(&mut self, needle: &str, timeout: Duration) -> String {
        let until = Instant::now() + timeout;
        loop {
            {
                let out = self.output.lock().unwrap();
                if let Some(at) = out[self.seen..].find(needle) {
                    let end = self.seen + at + needle.len();
                    let text = out[self.seen..end].to_owned();
                    self.seen = end;
                    return text;
                }
            }
            if Instant::now() > until {
                panic!(
                    "{needle:?} did not appear within {timeout:?}; output:\n{}",
                    self.all()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types `text` (use `\r` for Enter).
    pub fn send(&mut self, text: &str) {
        self.master.write_all(text.as_bytes()).unwrap();
        self.master.flush().unwrap();
    }

    /// Everything the child wrote so far.
    pub fn all(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// Waits for the child to exit (killing it after `timeout`) and returns whether it succeeded.
    pub fn wait(&mut self, timeout: Duration) -> bool {
        let until = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.success();
            }
            if Instant::now() > until {
                let _ = self.child.kill();
                panic!("still running after {timeout:?}; output:\n{}", self.all());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
