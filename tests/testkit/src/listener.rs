//! Where a process listens, read from Linux's `/proc`: the harness starts `scribe` with
//! `LISTEN_ADDR=127.0.0.1:0` and finds the port the kernel gave it from the process's own
//! sockets — no log to read, and no port reserved in advance that another process could take
//! between the reservation and the bind.

use std::collections::HashSet;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};

/// `st` of a listening socket in `/proc/net/tcp`.
const LISTEN: &str = "0A";

/// The IPv4 TCP addresses process `pid` listens on.
pub async fn listening(pid: u32) -> io::Result<Vec<SocketAddr>> {
    let inodes = socket_inodes(pid).await?;
    let table = tokio::fs::read_to_string(format!("/proc/{pid}/net/tcp")).await?;
    Ok(listeners(&table, &inodes))
}

/// Whether process `pid` has ended (gone, or a zombie not yet reaped).
pub async fn exited(pid: u32) -> bool {
    match tokio::fs::read_to_string(format!("/proc/{pid}/stat")).await {
        // `pid (comm) S …`: the state follows the last `)`, as comm may hold anything.
        Ok(stat) => {
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                == Some("Z")
        }
        Err(_) => true,
    }
}

/// Inodes of the sockets among the open files of `pid` (`/proc/PID/fd/N -> socket:[INODE]`).
async fn socket_inodes(pid: u32) -> io::Result<HashSet<u64>> {
    let mut inodes = HashSet::new();
    let mut fds = tokio::fs::read_dir(format!("/proc/{pid}/fd")).await?;
    while let Some(fd) = fds.next_entry().await? {
        // A descriptor closed since the listing has no link any more; it is not a listener.
        let Ok(target) = tokio::fs::read_link(fd.path()).await else {
            continue;
        };
        let inode = target
            .to_str()
            .and_then(|target| target.strip_prefix("socket:["))
            .and_then(|rest| rest.strip_suffix(']'))
            .and_then(|inode| inode.parse().ok());
        if let Some(inode) = inode {
            inodes.insert(inode);
        }
    }
    Ok(inodes)
}

/// The local addresses of the rows of a `/proc/net/tcp` table that listen and whose inode is
/// one of `inodes`. Columns: `sl local_address rem_address st … uid timeout inode …`; an address
/// is `HEXIP:HEXPORT`, the IP in the kernel's byte order as printed on this machine.
fn listeners(table: &str, inodes: &HashSet<u64>) -> Vec<SocketAddr> {
    table
        .lines()
        .skip(1)
        .filter_map(|row| {
            let columns: Vec<&str> = row.split_whitespace().collect();
            let (local, state, inode) = (columns.get(1)?, columns.get(3)?, columns.get(9)?);
            let inode: u64 = inode.parse().ok()?;
            if *state != LISTEN || !inodes.contains(&inode) {
                return None;
            }
            let (ip, port) = local.split_once(':')?;
            let ip = u32::from_str_radix(ip, 16).ok()?;
            let port = u16::from_str_radix(port, 16).ok()?;
            Some(SocketAddr::from((Ipv4Addr::from(ip.to_ne_bytes()), port)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn finds_a_socket_this_process_listens_on() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let found = listening(std::process::id()).await.expect("/proc");
        assert!(found.contains(&addr), "{addr} not in {found:?}");
        drop(listener);
        let found = listening(std::process::id()).await.expect("/proc");
        assert!(!found.contains(&addr), "{addr} still in {found:?}");
    }

    #[test]
    fn reads_only_listening_rows_of_the_given_sockets() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0000000000000000 100 0 0 10 0
   2: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 4444 1 0000000000000000 20 4 30 10 -1
";
        let ours: HashSet<u64> = [4242, 4444].into();
        // As a little-endian kernel prints 127.0.0.1.
        let expected = SocketAddr::from((Ipv4Addr::LOCALHOST, 8080));
        assert_eq!(listeners(table, &ours), [expected]);
    }

    #[tokio::test]
    async fn a_finished_process_has_exited() {
        let mut child = tokio::process::Command::new("true").spawn().expect("spawn");
        let pid = child.id().expect("pid");
        // Reaped or zombie, it counts as ended; this process is running.
        child.wait().await.expect("wait");
        assert!(exited(pid).await);
        assert!(!exited(std::process::id()).await);
    }
}
