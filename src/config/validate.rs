//! `govreview.toml` checked key by key: the raw serde structs become a [`Config`], every problem
//! recorded with its location so all of them are reported at once.

use super::*;

/// `stand_in_price`: a price was of the wrong type (already reported) and holds a stand-in 0,
/// so prices are not compared.
pub(super) fn validate(
    raw: RawConfig,
    path: &Path,
    loc: &Locator,
    problems: &mut Vec<Problem>,
    stand_in_price: bool,
) -> Config {
    // organization
    let org = raw.organization;
    if org.name.trim().is_empty() {
        problems.push(loc.problem(&["organization", "name"], "is blank; name the organisation"));
    } else if org.name.chars().count() > super::MAX_ORG_NAME {
        problems.push(loc.problem(
            &["organization", "name"],
            format!(
                "is {} characters long; give the organisation's name, at most {} characters (it heads every page and the chat summary)",
                org.name.chars().count(),
                super::MAX_ORG_NAME
            ),
        ));
    }
    let review_day = match org.review_day {
        None => DEFAULT_REVIEW_DAY,
        Some(d) if (1..=28).contains(&d) => d as u32,
        Some(d) => {
            problems.push(loc.problem(
                &["organization", "review_day"],
                format!("{d} is not a day every month has; use 1..28"),
            ));
            DEFAULT_REVIEW_DAY
        }
    };

    let team_owners: BTreeMap<String, String> = raw
        .teams
        .iter()
        .map(|(k, v)| (k.clone(), v.owner.trim().to_owned()))
        .collect();
    // organization.people: each a name, each once (compared without case or spaces around).
    let mut named: BTreeMap<String, &String> = BTreeMap::new();
    for (i, p) in org.people.iter().enumerate() {
        let idx = i.to_string();
        if p.trim().is_empty() {
            problems.push(loc.problem(
                &["organization", "people", &idx],
                "is blank; list people by name (or remove the entry)".to_owned(),
            ));
        } else if let Some(first) = named.insert(p.trim().to_lowercase(), p) {
            problems.push(loc.problem(
                &["organization", "people", &idx],
                format!("`{p}` is listed twice (as `{first}` before); keep one"),
            ));
        }
    }
    if !is_person(&org.review_owner, &team_owners, &org.people) {
        problems.push(loc.problem(
            &["organization", "review_owner"],
            format!(
                "`{}` does not name a person; give the name of whoever runs the review{}",
                org.review_owner,
                people_hint(&org.people)
            ),
        ));
    }
    for team in raw.teams.keys() {
        if crate::metrics::reserved(team) {
            problems.push(loc.key_problem(
                &["teams", team],
                format!(
                    "`{team}` is a name govreview reserves (usage without a team, a table's total); give the team its own name"
                ),
            ));
        }
    }
    // Team names are compared without case or surrounding spaces: two spellings are one team.
    let mut spelled: BTreeMap<String, &String> = BTreeMap::new();
    for team in raw.teams.keys() {
        if let Some(first) = spelled.insert(team.trim().to_lowercase(), team) {
            problems.push(loc.key_problem(
                &["teams", team],
                format!(
                    "`[teams.{team}]` and `[teams.{first}]` name one team (names are compared without case or surrounding spaces); keep one"
                ),
            ));
        }
    }
    let target_teams = raw
        .targets
        .as_ref()
        .and_then(|t| t.get("teams"))
        .and_then(toml::Value::as_table);
    for team in target_teams.into_iter().flat_map(|t| t.keys()) {
        if crate::metrics::reserved(team) {
            problems.push(loc.key_problem(
                &["targets", "teams", team],
                format!(
                    "`{team}` is a name govreview reserves (usage without a team, a table's total): targets for it change nothing; give a team of the data"
                ),
            ));
        }
    }
    for (team, owner) in &team_owners {
        if !is_person(owner, &team_owners, &org.people) {
            problems.push(loc.problem(
                &["teams", team, "owner"],
                format!(
                    "`{owner}` does not name a person; every team needs an owner who can take actions{}",
                    people_hint(&org.people)
                ),
            ));
        }
    }

    // email
    let email = raw.email.unwrap_or_default();
    let mut address = |key: Vec<String>, v: &str| {
        if v.parse::<lettre::message::Mailbox>().is_err() {
            let k: Vec<&str> = key.iter().map(String::as_str).collect();
            problems.push(loc.problem(
                &k,
                format!(
                    "`{}` is not an email address; write `name@example.com` or `Name <name@example.com>`",
                    crate::secret::printable(v)
                ),
            ));
        }
    };
    if let Some(f) = &email.from {
        address(vec!["email".into(), "from".into()], f);
    }
    for (list, name) in [(&email.to, "to"), (&email.cc, "cc")] {
        for v in list {
            address(vec!["email".into(), name.into()], v);
        }
    }
    for (team, t) in &raw.teams {
        if let Some(e) = &t.email {
            address(vec!["teams".into(), team.clone(), "email".into()], e);
        }
    }
    let team_emails: BTreeMap<String, String> = raw
        .teams
        .iter()
        .filter_map(|(k, v)| v.email.clone().map(|e| (k.clone(), e)))
        .collect();

    // pricing
    let discount = raw.pricing.discount.unwrap_or(0.0);
    if !(0.0..1.0).contains(&discount) {
        problems.push(loc.problem(
            &["pricing", "discount"],
            format!("{discount} is outside 0..1; write a 12% discount as 0.12"),
        ));
    }
    let reconcile_tolerance = raw
        .pricing
        .reconcile_tolerance
        .unwrap_or(DEFAULT_RECONCILE_TOLERANCE);
    if !(0.0..=1.0).contains(&reconcile_tolerance) {
        problems.push(loc.problem(
            &["pricing", "reconcile_tolerance"],
            format!("{reconcile_tolerance} is outside 0..1; write 2% as 0.02"),
        ));
    }
    let (builtin_models, tokenizer_ratio) = match crate::pricing::builtin() {
        Ok(t) => t,
        Err(e) => {
            problems.push(Problem {
                line: None,
                column: None,
                key: None,
                message: e.to_string(),
            });
            (Vec::new(), 1.3)
        }
    };
    let mut models: BTreeMap<String, crate::pricing::Model> = builtin_models
        .into_iter()
        .map(|m| (m.key.clone(), m))
        .collect();
    let mut configured_prices = Vec::new();
    for (model, raw) in &raw.pricing.models {
        let at = ["pricing", "models", model.as_str()];
        let base = models.get(model).cloned();
        if let Some(m) =
            crate::pricing::table::build(model, raw, base.as_ref(), false, &at, loc, problems)
        {
            models.insert(model.clone(), m);
            configured_prices.push(model.clone());
        }
    }
    let models: Vec<crate::pricing::Model> = models.into_values().collect();
    crate::pricing::table::check_changes(
        &models,
        loc,
        &|key| vec!["pricing".into(), "models".into(), key.into()],
        problems,
    );
    let premium_families = raw
        .pricing
        .premium_families
        .clone()
        .unwrap_or_else(|| DEFAULT_PREMIUM.iter().map(|f| (*f).to_owned()).collect());
    for (i, f) in premium_families.iter().enumerate() {
        if f.trim().is_empty() || f.contains(char::is_whitespace) {
            problems.push(loc.problem(
                &["pricing", "premium_families", &i.to_string()],
                format!("`{f}` is not a family name; use one lowercase word such as `opus`"),
            ));
        }
    }

    // families
    for (prefix, fam) in &raw.families {
        if prefix.trim().is_empty() {
            problems.push(loc.problem(
                &["families", prefix],
                "an empty model-ID prefix would claim every model for one family; give the start of the IDs it covers, such as \"claude-opus\" = \"opus\"".to_owned(),
            ));
        }
        if fam.trim().is_empty() || fam.chars().any(|c| c.is_whitespace()) {
            problems.push(loc.problem(
                &["families", prefix],
                format!("`{fam}` is not a family name; use one lowercase word such as `opus`"),
            ));
        }
    }

    // targets
    let targets = targets::parse(raw.targets.as_ref(), loc, problems);
    let prices_now = PriceTable::new(models.clone(), tokenizer_ratio);
    let backlog_cfg = backlog::backlog(
        raw.backlog,
        &prices_now,
        &premium_families,
        !stand_in_price,
        loc,
        problems,
    );
    let defaults_cfg = backlog::defaults(raw.defaults, loc, problems);
    let warehouse_cfg = warehouse::warehouse(raw.warehouse, loc, problems);

    // commitment
    let mut renewal_cfg = Renewal::default();
    let commitment = raw.commitment.and_then(|c| {
        let start = toml_date(&c.start, &["commitment", "start"], loc, problems);
        let end = toml_date(&c.end, &["commitment", "end"], loc, problems);
        renewal_cfg = renewal::renewal(
            renewal::RawRenewal {
                bands: c.bands,
                next_term_days: c.next_term_days,
                next_start: c.next_start,
                overage: c.overage,
                overage_factor: c.overage_factor,
                max_monthly_growth: c.max_monthly_growth,
                monthly_growth: c.monthly_growth,
                ramp_periods: c.ramp_periods,
            },
            end,
            loc,
            problems,
        );
        if !(c.amount >= 1.0 && c.amount.is_finite()) {
            problems.push(loc.problem(
                &["commitment", "amount"],
                format!(
                    "{} is not a commitment; give the committed spend in USD, a dollar or more",
                    crate::fmt::num_or_raw(c.amount)
                ),
            ));
        } else if let Some(why) = money_problem(c.amount, "a commitment") {
            problems.push(loc.problem(&["commitment", "amount"], why));
        }
        // A term lies in the years usage can have, and lasts ten years at most (a typo such as
        // 3026 for 2026 is named, not forecast).
        let year_ok = |d: chrono::NaiveDate| (2000..=2099).contains(&chrono::Datelike::year(&d));
        for (key, d) in [("start", start), ("end", end)] {
            if let Some(d) = d.filter(|d| !year_ok(*d)) {
                problems.push(loc.problem(
                    &["commitment", key],
                    format!("{d} is not a term date; give a day from 2000 to 2099 (YYYY-MM-DD)"),
                ));
            }
        }
        match (start, end) {
            (Some(s), Some(e)) if e < s => {
                problems.push(loc.problem(
                    &["commitment", "end"],
                    format!("the term ends ({e}) before it starts ({s}); check the two dates"),
                ));
                None
            }
            (Some(s), Some(e)) if !year_ok(s) || !year_ok(e) => None,
            (Some(s), Some(e)) if (e - s).num_days() >= 3660 => {
                problems.push(loc.problem(
                    &["commitment", "end"],
                    format!(
                        "a term from {s} to {e} is longer than ten years; check the year of the two dates"
                    ),
                ));
                None
            }
            (Some(start), Some(end)) => Some(Commitment {
                amount: c.amount,
                start,
                end,
                name: c.name,
            }),
            _ => None,
        }
    });

    // allocation
    for (i, rule) in raw.allocation.iter().enumerate() {
        let idx = i.to_string();
        let no_matcher = rule.workspace_id.is_none()
            && rule.workspace.is_none()
            && rule.api_key_id.is_none()
            && rule.api_key.is_none()
            && rule.model.is_none()
            && !rule.by_actor();
        if no_matcher {
            problems.push(loc.problem(
                &["allocation", &idx],
                "matches nothing; give workspace_id, workspace, api_key_id, api_key, model, actor or actor_type",
            ));
        }
        for (what, name) in [("team", &rule.team), ("app", &rule.app)] {
            if let Some(n) = name.as_deref().filter(|n| crate::metrics::reserved(n)) {
                problems.push(loc.problem(
                    &["allocation", &idx, what],
                    format!(
                        "`{n}` is a name govreview reserves; usage that matches no rule is unallocated already: remove the rule or name a real {what}"
                    ),
                ));
            }
        }
        if rule.team.is_none() && rule.app.is_none() {
            problems.push(loc.problem(
                &["allocation", &idx],
                "assigns nothing; give team and/or app",
            ));
        }
    }

    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut out_dir = base_dir.join(DEFAULT_OUT_DIR);
    for (key, v) in [("dir", &raw.output.dir), ("register", &raw.output.register)] {
        if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
            problems.push(loc.problem(
                &["output", key],
                "is blank; give a path relative to this file, or remove the key for the default",
            ));
        }
    }
    if let Some(d) = raw.output.dir.as_deref().filter(|d| !d.trim().is_empty()) {
        out_dir = crate::fsx::tidy(&base_dir.join(d));
    }
    let register = match raw
        .output
        .register
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        Some(r) => crate::fsx::tidy(&base_dir.join(r)),
        None => out_dir.join(REGISTER_FILE),
    };
    let pack_url = raw.output.url.clone().filter(|u| {
        let ok = (u.starts_with("https://") || u.starts_with("http://"))
            && !u.chars().any(|c| c.is_whitespace() || c.is_control());
        if !ok {
            problems.push(loc.problem(
                &["output", "url"],
                format!("`{u}` is not a web address; give the http(s) URL the packs are read at (e.g. https://github.com/acme/reviews/blob/main/reviews)"),
            ));
        }
        ok
    });
    Config {
        path: path.to_owned(),
        base_dir,
        org_name: org.name,
        review_owner: org.review_owner.trim().to_owned(),
        review_day,
        people: org.people,
        data_paths: raw.data.paths,
        out_dir,
        register,
        pack_url,
        prices: PriceTable::new(models, tokenizer_ratio),
        premium_families,
        configured_prices,
        discount,
        reconcile_tolerance,
        families: FamilyRules::new(raw.families),
        targets,
        commitment,
        allocation: raw.allocation,
        team_owners,
        team_emails,
        email,
        backlog: backlog_cfg,
        defaults: defaults_cfg,
        renewal: renewal_cfg,
        warehouse: warehouse_cfg,
    }
}

fn people_hint(people: &[String]) -> String {
    if people.is_empty() {
        String::new()
    } else {
        format!(" listed in organization.people ({})", people.join(", "))
    }
}

fn toml_date(
    d: &toml::value::Datetime,
    key: &[&str],
    loc: &Locator,
    problems: &mut Vec<Problem>,
) -> Option<NaiveDate> {
    let date = plain_date(d);
    if date.is_none() {
        problems.push(loc.problem(
            key,
            format!("`{d}` is not a plain date; write it as YYYY-MM-DD without quotes"),
        ));
    }
    date
}
