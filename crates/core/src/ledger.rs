//! The one ledger every payment goes through.
//!
//! Cash lives only here: an agent's cash is its account balance. External accounts
//! (vendor, utilities, tenants, bond holders, BTC market, …) are where money enters and
//! leaves the model; they may go negative. Because every transfer debits one account and
//! credits another, the sum of all balances stays zero up to floating-point rounding;
//! [`Ledger::imbalance`] measures that rounding and the accounting guard stops the run
//! when a transfer is not a finite, non-negative amount.

use bevy_ecs::prelude::*;

/// Index of an account in the [`Ledger`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(pub u32);

/// The places money comes from and goes to outside the modelled agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum External {
    /// The GPU vendor (primary market) and rack builders.
    Vendor,
    /// Power utilities.
    Utilities,
    /// Staff, maintenance and other operating suppliers.
    Suppliers,
    /// AI tenants paying rent for compute.
    Tenants,
    /// Outside bond holders, depositors and credit lines funding lenders and buyers.
    BondHolders,
    /// The BTC market (buyers and sellers of bitcoin) and the mining network.
    BtcMarket,
    /// Shareholders: initial equity of every agent.
    Shareholders,
    /// Government bills: where lenders park idle cash at the risk-free rate.
    Treasury,
}

impl External {
    /// Every external account, in ledger order.
    pub const ALL: [External; 8] = [
        External::Vendor,
        External::Utilities,
        External::Suppliers,
        External::Tenants,
        External::BondHolders,
        External::BtcMarket,
        External::Shareholders,
        External::Treasury,
    ];

    /// The account of this external party (they are the first accounts of every ledger).
    pub fn account(self) -> AccountId {
        AccountId(self as u32)
    }

    fn name(self) -> &'static str {
        match self {
            External::Vendor => "ext:vendor",
            External::Utilities => "ext:utilities",
            External::Suppliers => "ext:suppliers",
            External::Tenants => "ext:tenants",
            External::BondHolders => "ext:bond_holders",
            External::BtcMarket => "ext:btc_market",
            External::Shareholders => "ext:shareholders",
            External::Treasury => "ext:treasury",
        }
    }
}

/// A transfer that could not be booked because its amount was not a finite number ≥ 0.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedTransfer {
    /// Paying account's name.
    pub from: String,
    /// Receiving account's name.
    pub to: String,
    /// The offending amount.
    pub amount: f64,
    /// What the payment was for.
    pub memo: &'static str,
}

/// All money balances of the run.
#[derive(Resource, Debug)]
pub struct Ledger {
    names: Vec<String>,
    balances: Vec<f64>,
    rejected: Vec<RejectedTransfer>,
    turnover_this_tick: f64,
}

impl Default for Ledger {
    fn default() -> Self {
        Self::new()
    }
}

impl Ledger {
    /// A ledger holding only the external accounts, all at zero.
    pub fn new() -> Self {
        Ledger {
            names: External::ALL.iter().map(|e| e.name().to_string()).collect(),
            balances: vec![0.0; External::ALL.len()],
            rejected: Vec::new(),
            turnover_this_tick: 0.0,
        }
    }

    /// Opens an account for an agent, funded with `equity` from the shareholders.
    pub fn open(&mut self, name: &str, equity: f64) -> AccountId {
        let id = AccountId(self.balances.len() as u32);
        self.names.push(name.to_string());
        self.balances.push(0.0);
        self.transfer(
            External::Shareholders.account(),
            id,
            equity,
            "initial equity",
        );
        id
    }

    /// Moves `amount` dollars from one account to another. A non-finite or negative
    /// amount is not booked and is kept for the accounting guard to report.
    pub fn transfer(&mut self, from: AccountId, to: AccountId, amount: f64, memo: &'static str) {
        if !amount.is_finite() || amount < 0.0 {
            self.rejected.push(RejectedTransfer {
                from: self.name(from).to_string(),
                to: self.name(to).to_string(),
                amount,
                memo,
            });
            return;
        }
        if amount == 0.0 || from == to {
            return;
        }
        self.balances[from.0 as usize] -= amount;
        self.balances[to.0 as usize] += amount;
        self.turnover_this_tick += amount;
    }

    /// Pays as much of `amount` as `from` holds (never below zero); returns what was paid.
    pub fn pay_up_to(
        &mut self,
        from: AccountId,
        to: AccountId,
        amount: f64,
        memo: &'static str,
    ) -> f64 {
        if !amount.is_finite() || amount < 0.0 {
            // Booked as refused, like any transfer of an amount that is not a number.
            self.transfer(from, to, amount, memo);
            return 0.0;
        }
        let paid = amount.min(self.balance(from).max(0.0));
        self.transfer(from, to, paid, memo);
        paid
    }

    /// Pays `amount` from `from` to agents by their shares (a loan's lenders, a note's
    /// or a tranche's holders; the shares sum to 1).
    pub fn pay_shares(
        &mut self,
        directory: &crate::Directory,
        from: AccountId,
        shares: &[(crate::AgentId, f64)],
        amount: f64,
        memo: &'static str,
    ) {
        for (agent, share) in shares {
            self.transfer(from, directory.account(*agent), amount * share, memo);
        }
    }

    /// [`Ledger::pay_shares`] of as much of `amount` as `from` holds (never below zero);
    /// returns what was paid.
    pub fn pay_shares_up_to(
        &mut self,
        directory: &crate::Directory,
        from: AccountId,
        shares: &[(crate::AgentId, f64)],
        amount: f64,
        memo: &'static str,
    ) -> f64 {
        let paid = amount.min(self.balance(from).max(0.0));
        self.pay_shares(directory, from, shares, paid, memo);
        paid
    }

    /// Balance of one account.
    pub fn balance(&self, account: AccountId) -> f64 {
        self.balances[account.0 as usize]
    }

    /// Name of one account.
    pub fn name(&self, account: AccountId) -> &str {
        &self.names[account.0 as usize]
    }

    /// Sum of all balances: zero but for floating-point rounding.
    pub fn imbalance(&self) -> f64 {
        // Kahan-free plain sum on purpose: this is the figure we report as rounding.
        self.balances.iter().sum::<f64>().abs()
    }

    /// Sum of the absolute balances of the agents' accounts: the scale the imbalance is judged against.
    pub fn scale(&self) -> f64 {
        self.balances[External::ALL.len()..]
            .iter()
            .map(|b| b.abs())
            .sum()
    }

    /// Transfers refused since the last call, drained.
    pub fn take_rejected(&mut self) -> Vec<RejectedTransfer> {
        std::mem::take(&mut self.rejected)
    }

    /// Accounts whose balance is not a finite number.
    pub fn non_finite(&self) -> Vec<String> {
        self.balances
            .iter()
            .enumerate()
            .filter(|(_, b)| !b.is_finite())
            .map(|(i, _)| self.names[i].clone())
            .collect()
    }

    /// Total paid this tick, reset by [`Ledger::start_tick`].
    pub fn turnover(&self) -> f64 {
        self.turnover_this_tick
    }

    /// Starts a tick's turnover count.
    pub fn start_tick(&mut self) {
        self.turnover_this_tick = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfers_conserve_money_and_reject_nan() {
        let mut ledger = Ledger::new();
        let a = ledger.open("a", 100.0);
        let b = ledger.open("b", 0.0);
        ledger.transfer(a, b, 30.0, "test");
        assert_eq!(ledger.balance(a), 70.0);
        assert_eq!(ledger.balance(b), 30.0);
        assert_eq!(ledger.imbalance(), 0.0);
        ledger.transfer(a, b, f64::NAN, "bad");
        ledger.transfer(a, b, -1.0, "bad");
        assert_eq!(ledger.take_rejected().len(), 2);
        assert_eq!(ledger.balance(a), 70.0);
    }

    #[test]
    fn pay_up_to_never_overdraws() {
        let mut ledger = Ledger::new();
        let a = ledger.open("a", 10.0);
        let paid = ledger.pay_up_to(a, External::Utilities.account(), 25.0, "power");
        assert_eq!(paid, 10.0);
        assert_eq!(ledger.balance(a), 0.0);
    }

    #[test]
    fn pay_up_to_refuses_a_nan_bill_instead_of_emptying_the_account() {
        let mut ledger = Ledger::new();
        let a = ledger.open("a", 10.0);
        assert_eq!(
            ledger.pay_up_to(a, External::Utilities.account(), f64::NAN, "power"),
            0.0
        );
        assert_eq!(ledger.balance(a), 10.0);
        assert_eq!(ledger.take_rejected().len(), 1);
    }
}
