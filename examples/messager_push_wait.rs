//! A client of the pool's messager: push a transfer under an id of your
//! own (a retry after a lost answer cannot send it twice), then wait for
//! it to land and read its receipt. The messager picks the nonce and the
//! gas and has the sender's wallet sign it; the client holds no key.
//!
//! ```sh
//! set -a && . ~/.venus-pool/api-info.env && set +a   # from `venus-pool devnet`
//! cargo run -p venus-examples --example messager_push_wait -- FROM TO [ATTOFIL]
//! ```
//! `FROM` is an address one of the messager's wallets holds (a member's
//! worker, `pool.json`'s `worker`), `TO` any address. The messager is
//! reached by `MESSAGER_API_INFO` (`TOKEN:/ip4/…/tcp/…/http`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use venus_api::messager::{MessageState, MessagerClient};
use venus_core::types::transfer;
use venus_core::{Address, TokenAmount};

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [from, to, rest @ ..] = args.as_slice() else {
        return Err("usage: messager_push_wait FROM TO [ATTOFIL]".into());
    };
    let from: Address = from.parse().map_err(|e| format!("FROM {from:?}: {e}"))?;
    let to: Address = to.parse().map_err(|e| format!("TO {to:?}: {e}"))?;
    let value: u128 = rest.first().map_or(Ok(1), |v| v.parse())?;
    let info = std::env::var("MESSAGER_API_INFO")
        .map_err(|_| "set MESSAGER_API_INFO (venus-pool devnet writes it to REPO/api-info.env)")?;
    tokio::runtime::Runtime::new()?.block_on(push_and_wait(&info, from, to, value))
}

async fn push_and_wait(info: &str, from: Address, to: Address, value: u128) -> Result<(), Error> {
    let messager = MessagerClient::connect(info).await?;
    // The messager sets the nonce and, where zero, the gas.
    let msg = transfer(from, to, TokenAmount::from_atto(value));
    // Any id unique to this message: pushing it again answers the same id.
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    let id = format!("example-{nanos}");
    let accepted = messager.push_with_id(&id, &msg, None).await?;
    println!("pushed {accepted}");
    // WaitMessage answers once the message has `confidence` tipsets on top
    // of the one that executed it, or once it failed; give it 10 minutes.
    let done = tokio::time::timeout(Duration::from_secs(600), messager.wait(&id, 1))
        .await
        .map_err(|_| format!("{id} did not land within 10 minutes"))??;
    match (done.state, &done.receipt) {
        (MessageState::OnChain, Some(r)) => {
            println!(
                "landed at height {} as {}: exit code {}, gas used {}",
                done.height,
                done.signed_cid.map(|c| c.to_string()).unwrap_or_default(),
                r.exit_code.value(),
                r.gas_used
            );
            if r.exit_code.is_success() {
                Ok(())
            } else {
                Err(format!("the transfer failed on chain: {}", r.exit_code).into())
            }
        }
        (state, _) => Err(format!("{id} ended {state:?}: {}", done.error_msg).into()),
    }
}
