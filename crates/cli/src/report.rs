//! What `firesale run` prints at the end of a run.

use firesale_sim::Summary;

/// Prints a run's headline figures.
pub fn print_summary(s: &Summary, seconds: f64) {
    let pct = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{:.1}%", v * 100.0));
    println!(
        "world {}  seed {}  {} .. {}  ({seconds:.1} s)",
        s.world, s.seed, s.start_date, s.end_date
    );
    println!(
        "  defaults            {} of {} operators ({})",
        s.defaults_total,
        s.operators,
        pct(Some(s.default_rate))
    );
    println!(
        "  fire-sale discount  {}",
        match s.distressed_discount {
            Some(d) => format!(
                "{:.1}% distressed vs non-distressed price ({} distressed lots){}",
                d * 100.0,
                s.distressed_lots_traded,
                s.peak_discount
                    .map(|p| format!(
                        ", peak {:.1}% ({}, {})",
                        p * 100.0,
                        s.peak_discount_generation.clone().unwrap_or_default(),
                        s.peak_discount_date.clone().unwrap_or_default()
                    ))
                    .unwrap_or_default()
            ),
            None if s.distressed_lots_traded > 0 => format!(
                "- ({} distressed lots, no non-distressed trade to compare them with)",
                s.distressed_lots_traded
            ),
            None => "- (no distressed sale)".into(),
        }
    );
    if let Some(d) = s.lender_sale_discount {
        println!(
            "  lenders' sales      {:.1}% below the non-distressed price (repossessed lots sold by lenders)",
            d * 100.0
        );
    }
    println!(
        "  gap to fundamental  {} {}",
        pct(s.peak_gap_to_fundamental),
        s.peak_gap_to_fundamental_generation
            .as_ref()
            .map(|g| format!(
                "({g}, {})",
                s.peak_gap_to_fundamental_date.clone().unwrap_or_default()
            ))
            .unwrap_or_default()
    );
    for m in &s.rig_index {
        println!(
            "  rig index {:<9} ${:.1}/TH ({}) to ${:.1}/TH ({}), {:+.0}%",
            m.tier.replace('_', "-"),
            m.peak,
            m.peak_date,
            m.trough,
            m.trough_date,
            m.change * 100.0
        );
    }
    println!("  recovery rate       {}", pct(s.recovery_rate));
    println!(
        "  lender losses       ${:.1}M, {} lender failures",
        s.lender_losses_usd / 1e6,
        s.lender_failures
    );
    println!(
        "  repossessed         {} lots, {} unsold at the end (${:.1}M at last trade), {} weeks to sell on average",
        s.repossessed_lots_total,
        s.unsold_inventory_end,
        s.unsold_inventory_value_usd / 1e6,
        s.weeks_to_clear_repossessed
            .map_or("-".into(), |w| format!("{w:.1}"))
    );
    println!("  repo funding        ${:.1}M", s.repo_volume_total / 1e6);
    println!(
        "  spread charged      {}  break-even {}",
        pct(s.mean_spread_charged),
        pct(s.break_even_spread)
    );
    println!(
        "  ledger imbalance    ${:.2e} on ${:.2e}",
        s.ledger_max_imbalance_usd, s.ledger_max_balance_sheet_usd
    );
}

/// Prints the answers credit analysts ask of a run.
pub fn print_answers(s: &Summary) {
    let pct = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{:.1}%", v * 100.0));
    let num = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.2}"));
    println!("answers");
    match &s.largest_liquidation {
        Some(l) => {
            let time = match l.weeks_to_sell {
                Some(w) => format!("sold in {w:.0} weeks"),
                None => format!("{} of {} lots still unsold", l.lots - l.sold_lots, l.lots),
            };
            println!(
                "  largest liquidation {} {} GPUs repossessed {}: {time}, at {} below fundamental and {} below book",
                l.gpus,
                l.generation,
                l.date,
                pct(l.discount_to_fundamental),
                pct(l.discount_to_book)
            );
        }
        None => println!("  largest liquidation none: nothing was repossessed"),
    }
    println!(
        "  collateral illusion market LTV above paper LTV by {} at the peak ({})",
        num(s.collateral_illusion_peak_gap),
        s.collateral_illusion_peak_date
            .clone()
            .unwrap_or_else(|| "-".into())
    );
    println!(
        "  credit mispricing   spread charged {} vs break-even {} (realised defaults × loss given default)",
        pct(s.mean_spread_charged),
        pct(s.break_even_spread)
    );
    println!(
        "  correlation         BTC vs AI demand returns: calm {}, stress {} ({} stress weeks)",
        num(s.btc_demand_correlation_calm),
        num(s.btc_demand_correlation_stress),
        s.stress_ticks
    );
}
