//! The primary market: the vendor sells new lots at list price, within its delivery limit.

use firesale_core::prelude::*;

/// Lots the vendor has delivered this tick per generation (for its delivery limit).
#[derive(Resource, Debug, Default)]
pub struct Vendor {
    /// Lots sold this tick, per generation.
    pub sold_this_tick: Vec<u32>,
}

impl Vendor {
    /// Lots of `generation` the vendor can still deliver this tick.
    pub fn available(&self, gens: &Generations, generation: GenId, tick: u32) -> u32 {
        let g = gens.get(generation);
        if g.release_tick > tick as i32 {
            return 0;
        }
        match g.vendor_lots_per_tick {
            Some(limit) => limit.saturating_sub(self.sold_this_tick[generation.0 as usize]),
            None => u32::MAX,
        }
    }
}

/// Everything a purchase from the vendor touches.
pub struct VendorSale<'a> {
    /// The vendor.
    pub vendor: &'a mut Vendor,
    /// The fleet (new lots are created here).
    pub fleet: &'a mut Fleet,
    /// The ledger (the buyer pays the vendor).
    pub ledger: &'a mut Ledger,
    /// Generations.
    pub gens: &'a Generations,
    /// Clock.
    pub clock: &'a Clock,
    /// The event log (every sale is logged).
    pub log: &'a mut EventLog,
}

impl VendorSale<'_> {
    /// Price of one new lot today.
    pub fn lot_price(&self, generation: GenId) -> f64 {
        self.gens
            .vendor_lot_price(generation, self.clock.tick, self.clock.years_per_tick())
    }

    /// Buys up to `lots` new lots for `buyer` (limited by delivery and the buyer's cash);
    /// returns the lots, delivered stored.
    pub fn buy(&mut self, buyer: &Agent, generation: GenId, lots: u32) -> Vec<LotId> {
        let price = self.lot_price(generation);
        let affordable = (self.ledger.balance(buyer.account).max(0.0) / price).floor() as u32;
        let n = lots
            .min(
                self.vendor
                    .available(self.gens, generation, self.clock.tick),
            )
            .min(affordable);
        if n == 0 {
            return Vec::new();
        }
        self.ledger.transfer(
            buyer.account,
            External::Vendor.account(),
            price * f64::from(n),
            "primary purchase",
        );
        self.vendor.sold_this_tick[generation.0 as usize] += n;
        self.log.push(
            self.clock,
            EventKind::PrimaryPurchase,
            vec![buyer.name.clone(), "vendor".into()],
            price * f64::from(n),
            n,
            Some(self.gens.get(generation).name.clone()),
            String::new(),
        );
        (0..n)
            .map(|_| {
                self.fleet
                    .create(generation, buyer.id, self.clock.tick as i32)
            })
            .collect()
    }
}

/// Phase 1: the vendor's delivery limits start afresh each tick.
pub fn reset_vendor(mut vendor: ResMut<Vendor>) {
    vendor.sold_this_tick.iter_mut().for_each(|n| *n = 0);
}
