//! WinCount: Lotus's exact Q.256 Poisson sortition.
//!
//! λ = power · 5 / network power; the miner wins `j` blocks where `j` is the
//! number of steps the upside-down Poisson CDF stays above blake2b(vrf) read
//! as a Q.256 fraction, capped at 15. All arithmetic is Lotus's fixed point,
//! so results are identical, not approximately equal.

use std::sync::LazyLock;

use num_bigint::{BigInt, Sign};
use num_traits::{Euclid, One, Zero};

use crate::encoding::blake2b_256;

const PRECISION: usize = 256;
/// Lotus's expected blocks per epoch.
const BLOCKS_PER_EPOCH: u64 = 5;
/// The most wins one election can give: 3 × blocks per epoch.
pub const MAX_WIN_COUNT: i64 = 3 * BLOCKS_PER_EPOCH as i64;

/// The numerator of the rational approximation of e^-x that Lotus's
/// `expneg` and builtin-actors' reward actor share (highest degree first;
/// the coefficients × 2^128, as decimal strings).
pub const EXP_NUM: [&str; 8] = [
    "-648770010757830093818553637600",
    "67469480939593786226847644286976",
    "-3197587544499098424029388939001856",
    "89244641121992890118377641805348864",
    "-1579656163641440567800982336819953664",
    "17685496037279256458459817590917169152",
    "-115682590513835356866803355398940131328",
    "340282366920938463463374607431768211456",
];
/// The denominator of that approximation ([`EXP_NUM`]).
pub const EXP_DENO: [&str; 14] = [
    "1225524182432722209606361",
    "114095592300906098243859450",
    "5665570424063336070530214243",
    "194450132448609991765137938448",
    "5068267641632683791026134915072",
    "104716890604972796896895427629056",
    "1748338658439454459487681798864896",
    "23704654329841312470660182937960448",
    "259380097567996910282699886670381056",
    "2250336698853390384720606936038375424",
    "14978272436876548034486263159246028800",
    "72144088983913131323343765784380833792",
    "224599776407103106596571252037123047424",
    "340282366920938463463374607431768211456",
];

static NUM_COEF: LazyLock<Vec<BigInt>> = LazyLock::new(|| coefficients(&EXP_NUM));
static DENO_COEF: LazyLock<Vec<BigInt>> = LazyLock::new(|| coefficients(&EXP_DENO));

fn coefficients(src: &[&str]) -> Vec<BigInt> {
    src.iter()
        .map(|s| {
            // The constants above are valid decimal literals.
            let c: BigInt = s.parse().expect("valid coefficient");
            c << (PRECISION - 128)
        })
        .collect()
}

/// Horner evaluation in Q.256. `>>` on a negative BigInt floors, as Go's Rsh does.
fn polyval(p: &[BigInt], x: &BigInt) -> BigInt {
    let mut res = p[0].clone();
    for c in &p[1..] {
        res = ((res * x) >> PRECISION) + c;
    }
    res
}

/// e^-x for x in Q.256, result in Q.256 (Lotus's `expneg`).
pub fn expneg(x: &BigInt) -> BigInt {
    let num = polyval(&NUM_COEF, x) << PRECISION;
    let deno = polyval(&DENO_COEF, x);
    // Go's big.Int.Div is Euclidean division.
    num.div_euclid(&deno)
}

/// λ = power · 5 · 2^256 / total power, in Q.256 (Lotus's `lambda`).
pub fn lambda(power: &BigInt, total_power: &BigInt) -> BigInt {
    ((power * BigInt::from(BLOCKS_PER_EPOCH)) << PRECISION).div_euclid(total_power)
}

/// `1 − cdf(k, λ)` for k = 0..=n, in Q.256 (Lotus's `newPoiss` then `next` n times).
pub fn poisson_icdf(lam: &BigInt, n: usize) -> Vec<BigInt> {
    let mut pmf = expneg(lam);
    let mut icdf = (BigInt::one() << PRECISION) - &pmf;
    let mut out = Vec::with_capacity(n + 1);
    out.push(icdf.clone());
    for k in 1..=n as u64 {
        pmf = pmf.div_euclid(&BigInt::from(k));
        pmf = (pmf * lam) >> PRECISION;
        icdf -= &pmf;
        out.push(icdf.clone());
    }
    out
}

/// Computes win counts for one (power, network power) pair.
///
/// The Poisson thresholds depend only on the powers, so they are computed
/// once here and each [`WinCounter::win_count`] is one hash and at most 15
/// comparisons.
#[derive(Debug, Clone)]
pub struct WinCounter {
    thresholds: Vec<BigInt>,
}

impl WinCounter {
    /// Prepares the thresholds. Zero or negative network power wins nothing.
    pub fn new(power: &BigInt, total_power: &BigInt) -> Self {
        if total_power.sign() != Sign::Plus || power.is_zero() {
            return WinCounter {
                thresholds: Vec::new(),
            };
        }
        let lam = lambda(power, total_power);
        WinCounter {
            thresholds: poisson_icdf(&lam, MAX_WIN_COUNT as usize - 1),
        }
    }

    /// Lotus's `ComputeWinCount` for this VRF proof.
    pub fn win_count(&self, vrf_proof: &[u8]) -> i64 {
        let h = BigInt::from_bytes_be(Sign::Plus, &blake2b_256(vrf_proof));
        self.thresholds.iter().take_while(|rhs| h < **rhs).count() as i64
    }
}
