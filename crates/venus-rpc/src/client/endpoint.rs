//! Where a client connects: Lotus API-info strings and plain URLs.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A node's RPC endpoint and the token to present.
///
/// Parses Lotus API-info strings (`TOKEN:/ip4/127.0.0.1/tcp/1234/http`, the
/// form of `FULLNODE_API_INFO`; `/ws` for WebSocket; `/dns/host/…`, `/ip6/…`;
/// the token is optional), plain URLs (`http://…`, `ws://…`, with `/rpc/v1`
/// added when the URL has no path) and a token before a URL
/// (`TOKEN:http://…`, which Lotus's `ParseApiInfo` takes too).
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `http(s)://…` or `ws(s)://…`.
    pub url: String,
    /// The bearer token, if any.
    pub token: Option<String>,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let token = self.token.as_ref().map(|_| "<token>");
        f.debug_struct("Endpoint")
            .field("url", &self.redacted())
            .field("token", &token)
            .finish()
    }
}

impl Endpoint {
    /// An endpoint from a URL and an optional token.
    pub fn new(url: impl Into<String>, token: Option<String>) -> Self {
        Endpoint {
            url: url.into(),
            token,
        }
    }

    /// The URL for logs and errors, without its query and fragment (a URL
    /// may carry the token as `?token=…`, which the server accepts too) and
    /// without a password (`http://user:***@host/…`).
    pub fn redacted(&self) -> String {
        redact_url(&self.url)
    }

    /// Whether the URL is a WebSocket one.
    pub fn is_ws(&self) -> bool {
        self.url.starts_with("ws://") || self.url.starts_with("wss://")
    }

    /// The same endpoint over WebSocket (`http` → `ws`).
    pub fn to_ws(&self) -> Self {
        let url = if let Some(rest) = self.url.strip_prefix("http://") {
            format!("ws://{rest}")
        } else if let Some(rest) = self.url.strip_prefix("https://") {
            format!("wss://{rest}")
        } else {
            self.url.clone()
        };
        Endpoint {
            url,
            token: self.token.clone(),
        }
    }

    /// The socket address the URL names, when its host is an IP address
    /// (not a name to resolve).
    pub fn socket_addr(&self) -> Option<std::net::SocketAddr> {
        let parsed = url::Url::parse(&self.url).ok()?;
        let ip: std::net::IpAddr = match parsed.host()? {
            url::Host::Ipv4(ip) => ip.into(),
            url::Host::Ipv6(ip) => ip.into(),
            url::Host::Domain(_) => return None,
        };
        Some(std::net::SocketAddr::new(
            ip,
            parsed.port_or_known_default()?,
        ))
    }

    /// The API-info string Lotus's clients and `RemoteBackend` accept.
    pub fn to_api_info(&self) -> Result<String, Error> {
        let parsed = url::Url::parse(&self.url).map_err(|e| Error::Endpoint(e.to_string()))?;
        let host = parsed
            .host()
            .ok_or_else(|| Error::Endpoint("URL has no host".into()))?;
        let port = parsed
            .port_or_known_default()
            .ok_or_else(|| Error::Endpoint("URL has no port".into()))?;
        let proto = match host {
            url::Host::Ipv4(_) => "ip4",
            url::Host::Ipv6(_) => "ip6",
            url::Host::Domain(_) => "dns",
        };
        let host = host.to_string().trim_matches(['[', ']']).to_string();
        let ma = format!("/{proto}/{host}/tcp/{port}/{}", parsed.scheme());
        Ok(match &self.token {
            Some(t) => format!("{t}:{ma}"),
            None => ma,
        })
    }
}

/// An API info or URL, as config files, flags and environment variables
/// hold them, for logs and errors: the token of `TOKEN:/multiaddr` shows
/// as `<token>`, a URL loses its query, fragment and password (as
/// [`Endpoint::redacted`]), and any other text (a bare token, perhaps)
/// shows only its length.
pub fn redact_api_info(info: &str) -> String {
    let s = info.trim();
    if let Some(scheme_end) = s.find("://") {
        // A `:` before the scheme's ends a token (`TOKEN:http://…`).
        return match s[..scheme_end].split_once(':') {
            Some((token, _)) => format!("<token>:{}", redact_url(&s[token.len() + 1..])),
            None => redact_url(s),
        };
    }
    if s.is_empty() || s.starts_with('/') {
        return s.to_string();
    }
    match s.split_once(':') {
        Some((_, ma)) if ma.starts_with('/') => format!("<token>:{ma}"),
        _ => format!("<a text of {} characters>", s.chars().count()),
    }
}

/// `url` without its query, fragment and password. One that does not
/// parse loses everything up to its last `@` (where a password would end)
/// rather than show any of a password.
fn redact_url(url: &str) -> String {
    if let Ok(mut parsed) = url::Url::parse(url) {
        if parsed.password().is_some() {
            // Fails only for URLs that cannot hold one (no host).
            let _ = parsed.set_password(Some("***"));
        }
        parsed.set_query(None);
        parsed.set_fragment(None);
        return parsed.to_string();
    }
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = match rest.rfind('@') {
        Some(at) => format!("***{}", &rest[at..]),
        None => rest.to_string(),
    };
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    if scheme.is_empty() {
        rest.to_string()
    } else {
        format!("{scheme}://{rest}")
    }
}

/// `TOKEN:scheme://…` as its token and its URL.
fn token_before_url(s: &str) -> Option<(&str, &str)> {
    let (token, url) = s.split_once(':')?;
    let is_url = ["http://", "https://", "ws://", "wss://"]
        .iter()
        .any(|scheme| url.starts_with(scheme));
    (!token.is_empty() && is_url).then_some((token, url))
}

fn from_multiaddr(ma: &str) -> Result<String, Error> {
    let parts: Vec<&str> = ma.trim_start_matches('/').split('/').collect();
    let bad = || {
        Error::Endpoint(format!(
            "unsupported multiaddr {ma:?}; expected /ip4|ip6|dns/HOST/tcp/PORT[/http|ws]"
        ))
    };
    if parts.len() < 4 || parts[2] != "tcp" {
        return Err(bad());
    }
    let host = match parts[0] {
        "ip4" | "dns" | "dns4" | "dns6" => parts[1].to_string(),
        "ip6" => format!("[{}]", parts[1]),
        _ => return Err(bad()),
    };
    let port: u16 = parts[3].parse().map_err(|_| bad())?;
    let scheme = match parts.get(4).copied() {
        None | Some("http") => "http",
        Some("https") => "https",
        Some("ws") => "ws",
        Some("wss") => "wss",
        Some(_) => return Err(bad()),
    };
    Ok(format!("{scheme}://{host}:{port}/rpc/v1"))
}

impl FromStr for Endpoint {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        if let Some((token, url)) = token_before_url(s) {
            let mut endpoint: Endpoint = url.parse()?;
            endpoint.token = Some(token.to_string());
            return Ok(endpoint);
        }
        if s.contains("://") {
            let shown = redact_api_info(s);
            let mut url =
                url::Url::parse(s).map_err(|e| Error::Endpoint(format!("{shown:?}: {e}")))?;
            if !matches!(url.scheme(), "http" | "https" | "ws" | "wss") {
                return Err(Error::Endpoint(format!("unsupported scheme in {shown:?}")));
            }
            if url.path().is_empty() || url.path() == "/" {
                url.set_path("/rpc/v1");
            }
            return Ok(Endpoint {
                url: url.to_string(),
                token: None,
            });
        }
        if s.starts_with('/') {
            return Ok(Endpoint {
                url: from_multiaddr(s)?,
                token: None,
            });
        }
        let (token, ma) = s
            .split_once(':')
            .filter(|(_, ma)| ma.starts_with('/'))
            .ok_or_else(|| {
                // Long text is likely a token (a JWT is over 100 characters):
                // not repeated in an error that may reach a log.
                let shown = if s.len() > 40 {
                    format!("a text of {} characters", s.len())
                } else {
                    format!("{s:?}")
                };
                Error::Endpoint(format!("{shown} is neither TOKEN:/multiaddr nor a URL"))
            })?;
        Ok(Endpoint {
            url: from_multiaddr(ma)?,
            token: Some(token.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_token() {
        for e in [
            Endpoint::new("http://h:1234/rpc/v1?token=t0ken", None),
            Endpoint::new("http://h:1234/rpc/v1", Some("t0ken".into())),
        ] {
            let shown = format!("{e:?}");
            assert!(!shown.contains("t0ken"), "{shown}");
            assert!(shown.contains("http://h:1234/rpc/v1"), "{shown}");
        }
    }

    #[test]
    fn redacted_shows_no_token_or_password() {
        for (url, shown) in [
            ("http://h:1234/rpc/v1?token=t0ken", "http://h:1234/rpc/v1"),
            ("ws://u:t0ken@h:1/rpc/v1#t0ken", "ws://u:***@h:1/rpc/v1"),
            ("http://u:t0k@en@h:1/rpc/v1", "http://u:***@h:1/rpc/v1"),
            ("http://u:t0?ken@h:1/rpc/v1", "http://***@h:1/rpc/v1"),
            ("http://user@h:1/rpc/v1", "http://user@h:1/rpc/v1"),
        ] {
            assert_eq!(Endpoint::new(url, None).redacted(), shown, "{url}");
        }
        for (info, shown) in [
            (
                "t0ken:/ip4/1.2.3.4/tcp/1234/http",
                "<token>:/ip4/1.2.3.4/tcp/1234/http",
            ),
            ("/ip4/1.2.3.4/tcp/1234/http", "/ip4/1.2.3.4/tcp/1234/http"),
            ("http://h:1/rpc/v1?token=t0ken", "http://h:1/rpc/v1"),
            ("t0ken", "<a text of 5 characters>"),
            ("t0ken:http://h:1/rpc/v1", "<token>:http://h:1/rpc/v1"),
            ("t0.k-en_x:ftp://u:pw@h/x?y", "<token>:ftp://u:***@h/x"),
            ("", ""),
        ] {
            assert_eq!(redact_api_info(info), shown, "{info}");
        }
        for bad in [
            "http://u:t0ken@h:99999/",
            "t0ken:ftp://h/",
            "t0ken:http://h:99999/",
        ] {
            let e = bad.parse::<Endpoint>().expect_err(bad);
            assert!(!e.to_string().contains("t0ken"), "{e}");
        }
    }

    #[test]
    fn lotus_api_info_and_urls() {
        let e: Endpoint = "abc.def:/ip4/127.0.0.1/tcp/1234/http"
            .parse()
            .expect("api info");
        assert_eq!(e.url, "http://127.0.0.1:1234/rpc/v1");
        assert_eq!(e.token.as_deref(), Some("abc.def"));
        assert_eq!(e.socket_addr(), "127.0.0.1:1234".parse().ok());
        assert_eq!(
            e.to_api_info().expect("back"),
            "abc.def:/ip4/127.0.0.1/tcp/1234/http"
        );
        let w: Endpoint = "/ip6/::1/tcp/2345/ws".parse().expect("ws");
        assert_eq!(w.url, "ws://[::1]:2345/rpc/v1");
        assert!(w.is_ws());
        let d: Endpoint = "t:/dns/node.example/tcp/443/wss".parse().expect("dns");
        assert_eq!(d.url, "wss://node.example:443/rpc/v1");
        // A token before a URL, as Lotus's `ParseApiInfo` takes it.
        let t: Endpoint = "abc.def:ws://127.0.0.1:9/rpc/v0"
            .parse()
            .expect("token:url");
        assert_eq!(t.url, "ws://127.0.0.1:9/rpc/v0");
        assert_eq!(t.token.as_deref(), Some("abc.def"));
        let u: Endpoint = "http://127.0.0.1:9/".parse().expect("url");
        assert_eq!(u.url, "http://127.0.0.1:9/rpc/v1");
        assert_eq!(u.to_ws().url, "ws://127.0.0.1:9/rpc/v1");
        for bad in [
            "",
            "token",
            "tok:/ip4/1.2.3.4/udp/1",
            "ftp://x",
            "t:/ip4/1.2.3.4/tcp/99999/http",
            "/ip4/1.1.1.1/tcp/1/quic",
        ] {
            assert!(bad.parse::<Endpoint>().is_err(), "{bad}");
        }
    }
}
