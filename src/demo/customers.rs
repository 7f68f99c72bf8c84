//! The demo MSP's customers, from tables: trades (dental practice, law firm, ...) with the
//! machines such a customer has and the Backrest plans its NAS runs, and place names. Customer
//! `i` is a distinct place and trade, and its own seeded dice pick its plan sizes, schedules and
//! troubles, so every customer looks different and the same seed gives the same fleet.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::doubles::backrest::{Offsite, PlanSpec, Schedule, SiteSpec, SourceFile, Trouble};

/// A Backrest plan of a trade: id, path, files (name, MB), off-site, schedule.
type PlanTemplate = (
    &'static str,
    &'static str,
    &'static [(&'static str, u64)],
    bool,
    Schedule,
);

/// A line of business, as an MSP meets it.
struct Trade {
    /// Short tag in host and server names of customers past the first round of places.
    tag: &'static str,
    /// What follows the place in the customer's name (the first one first).
    names: &'static [&'static str],
    /// The customer's Windows machines (NovaBACKUP agents), after its code.
    hosts: &'static [&'static str],
    /// What its NAS backs up with Backrest.
    plans: &'static [PlanTemplate],
}

const fn daily(hour: u32, minute: u32) -> Schedule {
    Schedule::Daily { hour, minute }
}

#[rustfmt::skip]
const TRADES: [Trade; 8] = [
    Trade {
        tag: "dental",
        names: &["Dental", "Family Dentistry", "Orthodontics"],
        hosts: &["DC01", "FRONTDESK", "XRAY", "OP1", "OP2", "OFFICE-MGR"],
        plans: &[
            ("dentrix-db", "/srv/dentrix", &[("Data/dentrix-full.bak", 14_500), ("Data/dentrix-log.trn", 900), ("Export/ledger-2026.csv", 35)], true, Schedule::EveryHours(6)),
            ("xray-images", "/srv/imaging", &[("Dexis/2024.tar", 48_000), ("Dexis/2025.tar", 61_000), ("Dexis/2026-q4.tar", 9_800)], true, daily(1, 30)),
            ("office-share", "/srv/share", &[("Scans/insurance-claims-2026.zip", 2_300), ("Office/policies.docx", 2), ("Office/schedules.xlsx", 4)], false, daily(22, 15)),
        ],
    },
    Trade {
        tag: "law",
        names: &["Law", "Legal Group", "Partners LLP"],
        hosts: &["DC01", "DMS01", "PARTNER-LT1", "PARALEGAL1", "PARALEGAL2", "RECEPTION"],
        plans: &[
            ("worldox-dms", "/srv/dms", &[("Worldox/cabinet-a.vhdx", 96_000), ("Worldox/index.db", 3_100)], true, daily(23, 0)),
            ("mail-archive", "/srv/pst", &[("archive/partners-2025.pst", 18_000), ("archive/paralegal-2025.pst", 7_600)], true, daily(2, 45)),
            ("billing-db", "/var/backups/pclaw", &[("pclaw-full.bak", 4_200)], false, Schedule::EveryHours(4)),
        ],
    },
    Trade {
        tag: "vet",
        names: &["Vet", "Animal Hospital", "Veterinary Clinic"],
        hosts: &["SRV01", "FRONTDESK", "EXAM1", "EXAM2", "LAB", "DR-OFFICE"],
        plans: &[
            ("avimark-db", "/srv/avimark", &[("AVImark/avimark-data.zip", 6_800)], true, Schedule::EveryHours(6)),
            ("radiology", "/srv/radiology", &[("DICOM/2025.tar", 38_000), ("DICOM/2026.tar", 22_000)], true, daily(0, 40)),
            ("clinic-share", "/srv/share", &[("Forms/consent-forms.zip", 450), ("Admin/payroll-2026.xlsx", 3)], false, daily(21, 30)),
        ],
    },
    Trade {
        tag: "freight",
        names: &["Freight", "Logistics", "Trucking"],
        hosts: &["DC01", "TMS01", "DISPATCH1", "DISPATCH2", "YARD-PC", "ACCOUNTING"],
        plans: &[
            ("tms-sql", "/var/backups/mssql", &[("TMS_full.bak", 22_000), ("TMS_log.trn", 1_400)], true, Schedule::EveryHours(6)),
            ("scans", "/srv/scans", &[("BOL/2026.zip", 12_500), ("PODs/2026.zip", 8_200)], true, daily(3, 10)),
            ("dispatch-share", "/srv/share", &[("Dispatch/rates-2026.xlsx", 5), ("Dispatch/lanes.accdb", 640)], false, daily(22, 50)),
        ],
    },
    Trade {
        tag: "school",
        names: &["School", "Academy", "Montessori"],
        hosts: &["DC01", "FS01", "LIBRARY", "OFFICE1", "OFFICE2", "LAB-TEACHER"],
        plans: &[
            ("student-records", "/srv/sis", &[("SIS/records.sql.gz", 3_900)], true, daily(1, 0)),
            ("staff-home", "/home", &[("staff.tar", 74_000)], true, daily(2, 0)),
            ("media-library", "/srv/media", &[("Library/video-2025.tar", 120_000)], false, daily(23, 40)),
        ],
    },
    Trade {
        tag: "clinic",
        names: &["Clinic", "Medical Center", "Family Practice"],
        hosts: &["DC01", "EHR01", "FRONTDESK", "EXAM1", "NURSE-STATION", "BILLING"],
        plans: &[
            ("ehr-db", "/var/backups/ehr", &[("ehr-full.bak", 31_000), ("ehr-log.trn", 2_200)], true, Schedule::EveryHours(4)),
            ("scanned-charts", "/srv/charts", &[("charts/2025.tar", 27_000), ("charts/2026.tar", 19_500)], true, daily(1, 15)),
            ("admin-share", "/srv/share", &[("Billing/claims-2026.zip", 1_700)], false, daily(21, 0)),
        ],
    },
    Trade {
        tag: "cpa",
        names: &["CPA", "Accounting", "Tax Advisors"],
        hosts: &["DC01", "FS01", "PARTNER1", "STAFF1", "STAFF2", "SCANNER-PC"],
        plans: &[
            ("quickbooks", "/srv/qb", &[("Clients/company-files.zip", 9_400)], true, Schedule::EveryHours(6)),
            ("tax-returns", "/srv/tax", &[("Returns/2025.tar", 16_000), ("Returns/2026.tar", 4_800)], true, daily(0, 30)),
            ("client-portal", "/var/www/portal", &[("uploads.tar", 5_600)], false, daily(23, 10)),
        ],
    },
    Trade {
        tag: "arch",
        names: &["Architects", "Design Studio", "Engineering"],
        hosts: &["DC01", "FS01", "CAD1", "CAD2", "RENDER01", "PLOTTER-PC"],
        plans: &[
            ("projects", "/srv/projects", &[("Projects/2025.tar", 145_000), ("Projects/2026.tar", 62_000)], true, daily(1, 45)),
            ("revit-central", "/srv/revit", &[("Central/models.zip", 28_000)], true, Schedule::EveryHours(6)),
            ("renders", "/srv/renders", &[("Renders/2026.tar", 88_000)], false, daily(3, 30)),
        ],
    },
];

#[rustfmt::skip]
const PLACES: [&str; 20] = [
    "Acme", "Blue Ridge", "Cedar Creek", "Delta", "Evergreen", "Harbor", "Maple Street",
    "Northgate", "Oak Valley", "Pinecrest", "Riverside", "Summit", "Lakeshore", "Granite Peak",
    "Willow Bend", "Fairview", "Ironwood", "Bayside", "Redwood", "Sunset Hills",
];

/// Distinct (place, trade) pairs before names repeat with a number.
const ROUND: usize = PLACES.len() * TRADES.len();

/// One customer of the demo MSP.
#[derive(Debug, Clone)]
pub struct Customer {
    /// As the MSP writes it: `Acme Dental`.
    pub name: String,
    /// Lowercase prefix of its host and server names: `acme`.
    pub code: String,
    /// Its NovaBACKUP agents' machine names: `ACME-DC01`, ...
    pub hosts: Vec<String>,
    index: usize,
}

impl Customer {
    /// The `i`-th customer; different `i` give different names, codes and hosts.
    pub fn nth(i: usize) -> Customer {
        let place = PLACES[i % PLACES.len()];
        let round = i / PLACES.len();
        let trade = trade_of(i);
        let mut name = format!("{place} {}", trade.names[round % trade.names.len()]);
        let first = place.split_whitespace().next().unwrap_or(place);
        let mut code = first.to_ascii_lowercase();
        if round > 0 {
            code.push_str(trade.tag);
        }
        if i >= ROUND {
            name = format!("{name} {}", i / ROUND + 1);
            code = format!("{code}{}", i / ROUND + 1);
        }
        let hosts = trade
            .hosts
            .iter()
            .map(|h| format!("{}-{h}", code.to_ascii_uppercase()))
            .collect();
        Customer {
            name,
            code,
            hosts,
            index: i,
        }
    }

    /// The host name (and Backrest instance id) of its NAS.
    pub fn nas(&self) -> String {
        format!("{}-nas01", self.code)
    }

    /// Its Backrest NAS: the trade's plans with this customer's sizes (half to twice the
    /// trade's), start times and troubles. The first customer has every kind of trouble (a
    /// failure and a warning in the last day, a plan stale for days), so the smallest fleet with
    /// a Backrest shows them all; the others get theirs from their dice.
    pub fn backrest_site(&self, seed: u64, days: i64) -> SiteSpec {
        let mut rng = StdRng::seed_from_u64(seed ^ (self.index as u64).wrapping_mul(0x9e37_79b9));
        let trade = trade_of(self.index);
        let first = self.index == 0;
        let last = trade.plans.len() - 1;
        let mut pick = |chance: f64| {
            let hit = rng.random_bool(chance);
            let plan = rng.random_range(0..trade.plans.len());
            hit.then_some(plan)
        };
        let (broken, failed, warned) = if first {
            // Its first plan runs every few hours: room for both in the last day.
            (Some(last), Some(0), Some(0))
        } else {
            (pick(0.3), pick(0.6), pick(0.6))
        };
        let plans = trade
            .plans
            .iter()
            .enumerate()
            .map(|(p, &(id, path, files, offsite, schedule))| {
                let scale = rng.random_range(50..200);
                let trouble = if broken == Some(p) {
                    Trouble::BrokenFor {
                        days: rng.random_range(8..20),
                    }
                } else if failed == Some(p) || warned == Some(p) {
                    Trouble::Recent {
                        failed: failed == Some(p),
                        warned: warned == Some(p),
                    }
                } else {
                    Trouble::None
                };
                PlanSpec {
                    id: id.to_owned(),
                    path: path.to_owned(),
                    files: files
                        .iter()
                        .map(|&(f, mb)| SourceFile::new(f, mb * scale / 100 * 1_000_000))
                        .collect(),
                    schedule: shift(schedule, &mut rng),
                    offsite,
                    trouble,
                }
            })
            .collect();
        let offsite = [Offsite::B2, Offsite::Wasabi, Offsite::Sftp][rng.random_range(0..3)];
        SiteSpec {
            instance: self.nas(),
            tenant: slug(&self.name),
            offsite,
            plans,
            days,
            seed,
        }
    }
}

fn trade_of(i: usize) -> &'static Trade {
    // Each round of places moves the trades on by one, so no (place, trade) pair repeats
    // within a round of ROUND customers (20 and 8 share no factor but 4; 21 and 8 none).
    &TRADES[(i + i / PLACES.len()) % TRADES.len()]
}

/// The trade's schedule moved by this customer's habits (up to 2 h later, any minute).
fn shift(schedule: Schedule, rng: &mut StdRng) -> Schedule {
    match schedule {
        Schedule::Daily { hour, .. } => Schedule::Daily {
            hour: (hour + rng.random_range(0..3)) % 24,
            minute: rng.random_range(0..60),
        },
        every => every,
    }
}

fn slug(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
        .collect::<String>()
        .to_ascii_lowercase()
        .replace(' ', "-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn customers_are_distinct_well_past_one_round() {
        let all: Vec<Customer> = (0..2 * ROUND + 5).map(Customer::nth).collect();
        let names: HashSet<&str> = all.iter().map(|c| c.name.as_str()).collect();
        let codes: HashSet<&str> = all.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(names.len(), all.len());
        assert_eq!(codes.len(), all.len());
        assert_eq!(Customer::nth(0).name, "Acme Dental");
        assert_eq!(Customer::nth(1).hosts[0], "BLUE-DC01");
        assert!(
            Customer::nth(0)
                .backrest_site(1, 30)
                .plans
                .iter()
                .any(|p| matches!(p.trouble, Trouble::BrokenFor { .. }))
        );
    }
}
