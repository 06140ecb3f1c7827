//! A TCP proxy between clients and the real server that breaks requests on purpose, one
//! HTTP/1.1 request at a time: it cuts either direction at a random byte, answers 5xx
//! itself, stalls until the client gives up, and kills (SIGKILL) and restarts the server
//! in the middle of a request.
//!
//! Faults are drawn from a seeded RNG: first one of each kind in a shuffled order (so a
//! run with enough requests exercises them all), then at random. Clients on several
//! threads share the draws, so a seed replays the same faults, not the same schedule.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use rand::rngs::StdRng;
use rand::seq::SliceRandom as _;
use rand::{Rng as _, SeedableRng as _};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the proxy does to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// Passed through untouched.
    None,
    /// The server gets the request only up to a random byte; both connections close.
    CutRequest,
    /// The server gets the whole request (and may store the result); the client gets
    /// its answer only up to a random byte.
    CutResponse,
    /// The proxy answers 503 itself; the server never sees the request.
    Unavailable,
    /// The server answers; the client gets a 502 instead.
    BadGateway,
    /// Nothing reaches the server, nothing comes back: the client times out.
    StallBeforeServer,
    /// The server answers; the client never sees it and times out.
    StallAfterServer,
    /// The server gets the request up to a random byte (perhaps all of it) and is then
    /// killed with SIGKILL and started again.
    KillServer,
}

/// Every fault but [`Fault::None`].
pub const EVERY_FAULT: [Fault; 7] = [
    Fault::CutRequest,
    Fault::CutResponse,
    Fault::Unavailable,
    Fault::BadGateway,
    Fault::StallBeforeServer,
    Fault::StallAfterServer,
    Fault::KillServer,
];

/// How often and how much the proxy breaks.
#[derive(Debug, Clone, Copy)]
pub struct FaultRates {
    /// Share of requests (0–1) that get a fault.
    pub faulty: f64,
    /// At most this many stalls (each costs the client its timeout).
    pub max_stalls: u32,
    /// At most this many server restarts.
    pub max_kills: u32,
}

/// Kills the server and starts it again; returns where the new one listens. Blocking.
pub type Restart = Arc<dyn Fn() -> SocketAddr + Send + Sync>;

struct Plan {
    rng: StdRng,
    rates: FaultRates,
    first_of_each: Vec<Fault>,
    injected: BTreeMap<Fault, u32>,
}

impl Plan {
    fn next_fault(&mut self) -> Fault {
        let fault = self.first_of_each.pop().unwrap_or_else(|| {
            if self.rng.random_bool(self.rates.faulty) {
                EVERY_FAULT[self.rng.random_range(0..EVERY_FAULT.len())]
            } else {
                Fault::None
            }
        });
        let fault = if self.allowed(fault) {
            fault
        } else {
            Fault::CutResponse
        };
        *self.injected.entry(fault).or_default() += 1;
        fault
    }

    fn allowed(&self, fault: Fault) -> bool {
        let count = |f| self.injected.get(&f).copied().unwrap_or(0);
        match fault {
            Fault::StallBeforeServer | Fault::StallAfterServer => {
                count(Fault::StallBeforeServer) + count(Fault::StallAfterServer)
                    < self.rates.max_stalls
            }
            Fault::KillServer => count(Fault::KillServer) < self.rates.max_kills,
            _ => true,
        }
    }

    /// A random cut point in a message of `len` bytes: 0 up to `len` itself.
    fn cut(&mut self, len: usize) -> usize {
        self.rng.random_range(0..=len)
    }
}

struct Shared {
    upstream: Mutex<SocketAddr>,
    plan: Mutex<Plan>,
    restart: Restart,
    /// One restart at a time; a request that finds the server down just fails.
    restarting: tokio::sync::Mutex<()>,
}

/// The proxy, listening on a free loopback port until dropped.
pub struct FaultProxy {
    address: SocketAddr,
    shared: Arc<Shared>,
    accepting: JoinHandle<()>,
}

impl FaultProxy {
    /// Starts the proxy in front of `upstream` with faults drawn from `seed`.
    pub async fn start(
        upstream: SocketAddr,
        seed: u64,
        rates: FaultRates,
        restart: Restart,
    ) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut first_of_each = EVERY_FAULT.to_vec();
        first_of_each.shuffle(&mut rng);
        let shared = Arc::new(Shared {
            upstream: Mutex::new(upstream),
            plan: Mutex::new(Plan {
                rng,
                rates,
                first_of_each,
                injected: BTreeMap::new(),
            }),
            restart,
            restarting: tokio::sync::Mutex::new(()),
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let accepting = tokio::spawn({
            let shared = Arc::clone(&shared);
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    tokio::spawn(Arc::clone(&shared).relay(client));
                }
            }
        });
        Self {
            address,
            shared,
            accepting,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// How many requests got each fault so far.
    pub fn injected(&self) -> BTreeMap<Fault, u32> {
        self.shared.plan.lock().unwrap().injected.clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

/// A whole response the proxy gives itself, closing the connection after it.
fn canned(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

impl Shared {
    fn cut(&self, len: usize) -> usize {
        self.plan.lock().unwrap().cut(len)
    }

    /// Relays one client connection, request by request, until a fault or either side
    /// ends it. Returning drops (closes) both connections.
    async fn relay(self: Arc<Self>, mut client: TcpStream) {
        let mut server: Option<TcpStream> = None;
        let (mut from_client, mut from_server) = (Vec::new(), Vec::new());
        while let Some(request) = read_message(&mut client, &mut from_client, Side::Request).await {
            let fault = self.plan.lock().unwrap().next_fault();
            match fault {
                Fault::Unavailable => {
                    let body = r#"{"error":"unavailable","message":"the proxy says no"}"#;
                    let _ = client
                        .write_all(&canned("503 Service Unavailable", body))
                        .await;
                    return;
                }
                Fault::StallBeforeServer => return wait_for_close(&mut client).await,
                _ => {}
            }
            if server.is_none() {
                let upstream = *self.upstream.lock().unwrap();
                // The server is down (being restarted): the client sees the line drop.
                let Ok(connected) = TcpStream::connect(upstream).await else {
                    return;
                };
                server = Some(connected);
            }
            let Some(upstream) = server.as_mut() else {
                return;
            };
            match fault {
                Fault::CutRequest => {
                    let keep = self.cut(request.len().saturating_sub(1));
                    let _ = upstream.write_all(&request[..keep]).await;
                    return;
                }
                Fault::KillServer => {
                    let keep = self.cut(request.len());
                    let _ = upstream.write_all(&request[..keep]).await;
                    drop(server);
                    return self.restart_server().await;
                }
                _ => {}
            }
            if upstream.write_all(&request).await.is_err() {
                return;
            }
            let Some(response) = read_message(upstream, &mut from_server, Side::Response).await
            else {
                return;
            };
            match fault {
                Fault::CutResponse => {
                    let keep = self.cut(response.len().saturating_sub(1));
                    let _ = client.write_all(&response[..keep]).await;
                    return;
                }
                Fault::BadGateway => {
                    let _ = client
                        .write_all(&canned("502 Bad Gateway", r#""bad gateway""#))
                        .await;
                    return;
                }
                Fault::StallAfterServer => return wait_for_close(&mut client).await,
                _ => {
                    if client.write_all(&response).await.is_err() {
                        return;
                    }
                }
            }
        }
    }

    async fn restart_server(&self) {
        let _one_at_a_time = self.restarting.lock().await;
        let restart = Arc::clone(&self.restart);
        let address = tokio::task::spawn_blocking(move || restart())
            .await
            .unwrap();
        *self.upstream.lock().unwrap() = address;
    }
}

/// Holds a connection open, reading and dropping whatever comes, until the client
/// closes it (after its timeout).
async fn wait_for_close(client: &mut TcpStream) {
    let mut sink = [0u8; 4096];
    while matches!(client.read(&mut sink).await, Ok(n) if n > 0) {}
}

#[derive(Debug, Clone, Copy)]
enum Side {
    Request,
    Response,
}

/// Reads one whole HTTP/1.1 message (head and a `content-length` body) from `stream`,
/// with `buffer` holding what was read beyond the previous one. `None` when the stream
/// ends (or breaks) first.
async fn read_message(stream: &mut TcpStream, buffer: &mut Vec<u8>, side: Side) -> Option<Vec<u8>> {
    loop {
        if let Some(len) = message_length(buffer, side)
            && buffer.len() >= len
        {
            return Some(buffer.drain(..len).collect());
        }
        let mut chunk = [0u8; 16 * 1024];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// The length of the message at the start of `buffer` once its head is complete.
fn message_length(buffer: &[u8], side: Side) -> Option<usize> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let (head, headers) = match side {
        Side::Request => {
            let mut request = httparse::Request::new(&mut headers);
            let httparse::Status::Complete(head) = request.parse(buffer).unwrap() else {
                return None;
            };
            (head, request.headers.to_vec())
        }
        Side::Response => {
            let mut response = httparse::Response::new(&mut headers);
            let httparse::Status::Complete(head) = response.parse(buffer).unwrap() else {
                return None;
            };
            (head, response.headers.to_vec())
        }
    };
    assert!(
        !headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("transfer-encoding")),
        "the fault proxy reads only content-length bodies"
    );
    let body = headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .map_or(0, |h| {
            std::str::from_utf8(h.value)
                .unwrap()
                .trim()
                .parse::<usize>()
                .unwrap()
        });
    Some(head + body)
}
