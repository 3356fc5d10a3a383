#!/usr/bin/python3
"""report_quarter.py - the generated quarter of test_reports.sh, and the
figures it should give, computed here from the generated rows alone (not by
asking the database or bangdaictl).

  report_quarter.py gen CONFIG SEED OUT.sql DATA.json
      writes the rows of a few hundred cases (2026-06 .. 2026-10, so that
      the period's edges are crossed) as SQL, and the same rows as JSON.
  report_quarter.py check CONFIG DATA.json KIND FORMAT FILE
      parses the report FILE (bangdaictl report KIND --period 2026-Q3
      --format FORMAT) and compares every figure of every section with the
      expected one; exits 1 naming the first difference.

Standard library only; the seed makes the quarter the same every run.
"""
import csv
import datetime as dt
import html.parser
import io
import json
import random
import re
import sys

LEVELS = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
SCORE = {l: 5 - i for i, l in enumerate(LEVELS)}
BAD = {"不满意", "非常不满意"}
P_FIRST, P_END = dt.date(2026, 7, 1), dt.date(2026, 10, 1)
D = dt.date.fromisoformat


# ---- the configuration, read with regular expressions ---------------------

def read_config(path):
    text = open(path, encoding="utf-8").read()
    items = {}
    for m in re.finditer(r"- code: ([A-Z]+-[A-Z]+)\n(?:.*\n)*?\s+stage: (\w+)\n\s+dept: (\w+)\n\s+promised_days: (\d+)", text):
        items[m.group(1)] = {"stage": m.group(2), "dept": m.group(3), "promised": int(m.group(4))}
    specs = {}
    for m in re.finditer(r"\{id: ([a-z]+)-(\d+),", text):
        specs.setdefault(m.group(1), []).append(m.group(1) + "-" + m.group(2))
    year = text[text.index("- year: 2026"):]
    year = year[:year.index("]", year.index("workdays:")) + 1]
    hol = year[year.index("holidays:"):year.index("workdays:")]
    wd = year[year.index("workdays:"):]
    holidays = {D(x) for x in re.findall(r"\d{4}-\d\d-\d\d", hol)}
    makeup = {D(x) for x in re.findall(r"\d{4}-\d\d-\d\d", wd)}
    return items, specs, holidays, makeup


class Cal:
    def __init__(self, holidays, makeup):
        self.h, self.m = holidays, makeup

    def work(self, d):
        return d in self.m or (d.weekday() < 5 and d not in self.h)

    def count(self, a, b):
        """working days in [a, b)"""
        n, d = 0, a
        while d < b:
            n += self.work(d)
            d += dt.timedelta(1)
        return n

    def add(self, start, n):
        d = start
        while not self.work(d):
            d += dt.timedelta(1)
        while n > 0:
            d += dt.timedelta(1)
            n -= self.work(d)
        return d


# ---- generation ------------------------------------------------------------

def q(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


def ts(day, minute):
    return "%s %02d:%02d:00+08" % (day.isoformat(), 9 + minute // 60, minute % 60)


def gen(cfgpath, seed, out_sql, out_json):
    items, specs, holidays, makeup = read_config(cfgpath)
    cal = Cal(holidays, makeup)
    rnd = random.Random(seed)
    codes = sorted(items)
    sql, data = [], {"cases": [], "tasks": [], "ratings": [], "visits": [], "fees": [], "reminders": [], "handovers": []}
    add = sql.append
    projects = ["2606-500231-04-01-%06d" % i for i in range(1, 121)]
    rating_id = 0
    for n in range(320):
        sub_day = D("2026-06-10") + dt.timedelta(rnd.randrange(0, 110))
        case_no = "BD-500231-%s-%05d" % (sub_day.strftime("%Y%m%d"), n + 1)
        channel = "online" if rnd.random() < 0.6 else "hall"
        project = rnd.choice(projects)
        chosen = rnd.sample(codes, rnd.choice([1, 1, 2, 2, 3]))
        sub_min = rnd.randrange(0, 480)
        data["cases"].append({"case_no": case_no, "submitted_on": sub_day.isoformat(), "channel": channel, "project": project})
        add("INSERT INTO intake.cases (case_no, request_id, service_type, unit_name, credit_code, project_name,"
            " project_code, kind, contact_name, contact_phone, delivery, channel, items, state, submitted_at) VALUES"
            " (%s, gen_random_uuid(), 'agency', '测试单位', '91500231MA5U000000', '项目', %s, 'industrial', '联系人',"
            " '13800000000', 'item', %s, %s, 'SUBMITTED', %s);"
            % (q(case_no), q(project), q(channel), q("{" + ",".join(chosen) + "}"), q(ts(sub_day, sub_min))))
        add("INSERT INTO router.cases (case_no, service_type, delivery, task_count) VALUES (%s, 'agency', 'item', %d);"
            % (q(case_no), len(chosen)))
        last_decided = None
        all_done = True
        case_tasks = []
        for k, code in enumerate(chosen):
            it = items[code]
            task = "%s-T%d" % (case_no, k + 1)
            spec = rnd.choice(specs[it["dept"]])
            pauses = []
            d = sub_day + dt.timedelta(rnd.randrange(1, 4))
            if rnd.random() < 0.3:
                to = d + dt.timedelta(rnd.randrange(0, 8))
                pauses.append(["supplement", d.isoformat(), to.isoformat()])
                d = to + dt.timedelta(rnd.randrange(0, 3))
            if rnd.random() < 0.1:
                to = d + dt.timedelta(rnd.randrange(1, 10))
                pauses.append(["expert_review", d.isoformat(), to.isoformat()])
                d = to
            paused_wd = sum(cal.count(D(a), D(b)) for _, a, b in pauses)
            due = cal.add(sub_day, it["promised"] + paused_wd)
            open_task = rnd.random() < 0.05
            decided = None if open_task else max(d, sub_day + dt.timedelta(rnd.randrange(0, it["promised"] * 2 + 6)))
            decision = None if open_task else ("REJECTED" if rnd.random() < 0.12 else "APPROVED")
            state = decision or ("SUPPLEMENT_REQUESTED" if pauses else "ACCEPTED")
            dmin = rnd.randrange(0, 480)
            add("INSERT INTO router.tasks (task_id, case_no, item_code, dept, specialist_id, state, kind) VALUES"
                " (%s, %s, %s, %s, %s, %s, 'item');" % (q(task), q(case_no), q(code), q(it["dept"]), q(spec), q(state)))
            add("INSERT INTO tracker.deadlines (task_id, case_no, item_code, dept, specialist, state, started_on,"
                " promised_days, due_on, paused_days) VALUES (%s, %s, %s, %s, %s, %s, %s, %d, %s, %d);"
                % (q(task), q(case_no), q(code), q(it["dept"]), q(spec), q(state), q(sub_day.isoformat()),
                   it["promised"], q(due.isoformat()), paused_wd))
            hist = [(None, "ASSIGNED", ts(sub_day, sub_min), "move"), ("ASSIGNED", "ACCEPTED", ts(sub_day, sub_min + 1), "move")]
            for kind, a, b in pauses:
                add("INSERT INTO tracker.pauses (task_id, kind, reason, from_day, to_day) VALUES (%s, %s, '补正', %s, %s);"
                    % (q(task), q(kind), q(a), q(b)))
                hist.append(("ACCEPTED", "SUPPLEMENT_REQUESTED" if kind == "supplement" else "ACCEPTED", ts(D(a), 0), "pause"))
                hist.append(("SUPPLEMENT_REQUESTED" if kind == "supplement" else "ACCEPTED", "ACCEPTED", ts(D(b), 0), "resume"))
            if rnd.random() < 0.2:
                hist.append(("ACCEPTED", "ACCEPTED", ts(sub_day + dt.timedelta(1), 5), "note"))
            if decision:
                hist.append(("ACCEPTED", decision, ts(decided, dmin), "move"))
                if rnd.random() < 0.05:     # a later, repeated result: the first one counts
                    hist.append((decision, decision, ts(decided + dt.timedelta(3), 0), "note"))
            for f, t, at, ev in hist:
                add("INSERT INTO router.task_history (task_id, from_state, to_state, actor, at, event) VALUES"
                    " (%s, %s, %s, 'test', %s, %s);" % (q(task), q(f), q(t), q(at), q(ev)))
            method = None
            if decision:
                method = rnd.choice(["in_person", "post", "e_licence"])
                # delivery's own record of the case, which its handovers refer to.
                add("INSERT INTO delivery.cases (case_no, task_count) VALUES (%s, 1) ON CONFLICT DO NOTHING;"
                    % q(case_no))
                # Each method with the fields delivery's schema requires of it.
                add("INSERT INTO delivery.handovers (task_id, case_no, item_code, dept, decision, method, handed_at,"
                    " handed_by, decided_at, receiver, receipt_ref, carrier, tracking_no, address, licence_id)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s);"
                    % (q(task), q(case_no), q(code), q(it["dept"]), q(decision), q(method),
                       q(ts(decided + dt.timedelta(1), 0)), q(spec), q(ts(decided, dmin)),
                       q("张三" if method == "in_person" else None), q("R-" + task if method == "in_person" else None),
                       q("EMS" if method == "post" else None), q("E" + task if method == "post" else None),
                       q("垫江县" if method == "post" else None), q("L-" + task if method == "e_licence" else None)))
                if rnd.random() < 0.25:
                    fen = rnd.randrange(100, 500000)
                    paid = decided - dt.timedelta(rnd.randrange(0, 5))
                    add("INSERT INTO delivery.fees (case_no, task_id, item_code, amount_fen, payee, paid_on, recorded_by)"
                        " VALUES (%s, %s, %s, %d, '县财政', %s, %s);" % (q(case_no), q(task), q(code), fen, q(paid.isoformat()), q(spec)))
                    data["fees"].append({"case_no": case_no, "project": project, "fen": fen, "paid_on": paid.isoformat()})
                late = cal.count(due + dt.timedelta(1), decided + dt.timedelta(1)) if decided > due else 0
                for lvl, after in (("specialist", 1), ("dept_head", 3), ("leader", 6)):
                    if late >= after:
                        day = cal.add(due, after)
                        kind = "overdue" if lvl == "specialist" else "escalation"
                        add("INSERT INTO tracker.reminders (task_id, case_no, dept, kind, level, due_on, day, overdue_days)"
                            " VALUES (%s, %s, %s, %s, %s, %s, %s, %d);"
                            % (q(task), q(case_no), q(it["dept"]), q(kind), q(lvl), q(due.isoformat()), q(day.isoformat()), after))
                        data["reminders"].append({"task": task, "kind": kind, "level": lvl, "day": day.isoformat()})
            else:
                all_done = False
            t = {"task": task, "case_no": case_no, "item": code, "dept": it["dept"], "specialist": spec,
                 "decision": decision, "decided_on": decided.isoformat() if decided else None,
                 "due_on": due.isoformat(), "pauses": pauses, "events": len(hist), "method": method,
                 "applied_on": sub_day.isoformat(), "channel": channel, "project": project}
            data["tasks"].append(t)
            case_tasks.append(t)
            if decided and (last_decided is None or decided > last_decided):
                last_decided = decided
        if rnd.random() < 0.1:          # a coordination task: not an item, counts nowhere
            task = "%s-C" % case_no
            add("INSERT INTO router.tasks (task_id, case_no, item_code, dept, specialist_id, state, kind) VALUES"
                " (%s, %s, NULL, 'zjw', 'zjw-1', 'APPROVED', 'coordination');" % (q(task), q(case_no)))
            add("INSERT INTO router.task_history (task_id, from_state, to_state, actor, at, event) VALUES"
                " (%s, 'ASSIGNED', 'APPROVED', 'test', %s, 'move');" % (q(task), q(ts(sub_day + dt.timedelta(5), 0))))
        if not all_done:
            continue
        ended = last_decided + dt.timedelta(2)
        visit_done = ended + dt.timedelta(rnd.randrange(1, 6)) if rnd.random() < 0.7 else None
        rated = []
        if rnd.random() < 0.65:
            rated.append(None)
        for t in case_tasks:
            if rnd.random() < 0.3:
                rated.append(t)
        for t in rated:
            rating_id += 1
            level = rnd.choices(LEVELS, weights=[40, 30, 15, 10, 5])[0]
            who = t or case_tasks[0]
            at = last_decided + dt.timedelta(rnd.randrange(1, 12))
            excluded = level in BAD and rnd.random() < 0.25
            r = {"id": rating_id, "case_no": case_no, "level": level, "dept": who["dept"], "specialist": who["specialist"],
                 "rated_on": at.isoformat(), "minute": rnd.randrange(0, 480), "excluded": excluded, "rect": None}
            add("INSERT INTO evaluation.ratings (id, case_no, task_id, level, channel, dept, specialist, comment, rated_by,"
                " rated_at, excluded) VALUES (%d, %s, %s, %s, %s, %s, %s, '意见', 'unit', %s, %s);"
                # The service by hall management's return visit (once a case), an item by the unit
                # through the hall (once an item): evaluation's uniqueness rules.
                % (rating_id, q(case_no), q(t and t["task"]), q(level), q("hall" if t else "visit"),
                   q(r["dept"]), q(r["specialist"]),
                   q(ts(at, r["minute"])), q(excluded)))
            if level in BAD:
                states = ["verifying", "rectifying", "explained", "rectified", "fed_back", "appealed", "appeal_rejected"]
                if excluded:
                    states = ["appeal_upheld"]
                # One rectification per rating (evaluation's schema: rating_id UNIQUE), in the
                # state it has reached.
                r["rect"] = rnd.choice(states)
                add("INSERT INTO evaluation.rectifications (rating_id, case_no, dept, specialist, state, due_on, opened_at)"
                    " VALUES (%d, %s, %s, %s, %s, %s, %s);" % (rating_id, q(case_no), q(r["dept"]), q(r["specialist"]),
                                                               q(r["rect"]), q((at + dt.timedelta(20)).isoformat()), q(ts(at, 5))))
            data["ratings"].append(r)
        add("INSERT INTO evaluation.return_visits (case_no, tasks, ended_at, due_on, state, done_at, done_by) VALUES"
            " (%s, %d, %s, %s, %s, %s, %s);" % (q(case_no), len(case_tasks), q(ts(ended, 0)), q((ended + dt.timedelta(7)).isoformat()),
                                               q("DONE" if visit_done else "OPEN"), q(visit_done and ts(visit_done, 30)),
                                               q(visit_done and "ops")))
        if visit_done:
            data["visits"].append({"case_no": case_no, "done_on": visit_done.isoformat()})
    open(out_sql, "w", encoding="utf-8").write("BEGIN;\n" + "\n".join(sql) + "\nCOMMIT;\n")
    json.dump(data, open(out_json, "w", encoding="utf-8"), ensure_ascii=False)


# ---- the expected figures ---------------------------------------------------

def inp(day):
    return day is not None and P_FIRST <= D(day) < P_END


def pct(values, p):
    v = sorted(values)
    if not v:
        return None
    h = (len(v) - 1) * p
    lo = int(h)
    if lo + 1 >= len(v):
        return float(v[-1])
    return v[lo] + (h - lo) * (v[lo + 1] - v[lo])


def rate(a, b):
    return a / b if b else None


def expected(cfgpath, data):
    items, specs, holidays, makeup = read_config(cfgpath)
    cal = Cal(holidays, makeup)
    tasks = [dict(t) for t in data["tasks"] if inp(t["decided_on"])]
    for t in tasks:
        a, d = D(t["applied_on"]), D(t["decided_on"])
        wd, cd = cal.count(a + dt.timedelta(1), d + dt.timedelta(1)), (d - a).days
        for _, f, to in t["pauses"]:
            f, to = max(D(f), a + dt.timedelta(1)), min(D(to), d + dt.timedelta(1))
            if to > f:
                wd -= cal.count(f, to)
                cd -= (to - f).days
        t["wd"], t["cd"] = wd, cd
        t["on_time"] = d <= D(t["due_on"])
        t["stage"] = items[t["item"]]["stage"]
        t["promised"] = items[t["item"]]["promised"]
    ratings = sorted((r for r in data["ratings"] if inp(r["rated_on"])), key=lambda r: (r["rated_on"], r["minute"], r["id"]))
    for r in ratings:
        r["bad"] = r["level"] in BAD and not r["excluded"]
        r["rectified"] = r["bad"] and r["rect"] in ("rectified", "fed_back")
    visit_cases = {v["case_no"] for v in data["visits"] if inp(v["done_on"])}
    visits = {(t["case_no"], t["dept"], t["specialist"]) for t in data["tasks"] if t["case_no"] in visit_cases}
    fees = [f for f in data["fees"] if inp(f["paid_on"])]

    def assess(dept, spec):
        ts_ = [t for t in tasks if dept in (None, t["dept"]) and spec in (None, t["specialist"])]
        rs = [r for r in ratings if not r["excluded"] and dept in (None, r["dept"]) and spec in (None, r["specialist"])]
        on = sum(t["on_time"] for t in ts_)
        return {"services": len({t["case_no"] for t in ts_}), "items": len(ts_), "on_time": on,
                "on_time_rate": rate(on, len(ts_)), "ratings": len(rs),
                "mean_rating": rate(sum(SCORE[r["level"]] for r in rs), len(rs)),
                "bad": sum(r["bad"] for r in rs), "rectified": sum(r["rectified"] for r in rs),
                "visits_done": len({v[0] for v in visits if dept in (None, v[1]) and spec in (None, v[2])})}

    pairs = sorted({"%s %s" % (x["dept"], x["specialist"]) for x in tasks + ratings}
                   | {"%s %s" % (v[1], v[2]) for v in visits})
    depts = sorted({x["dept"] for x in tasks + ratings} | {v[1] for v in visits})
    charts = {
        "chart_on_time": [{"dept": d, "items": len(g), "on_time": sum(t["on_time"] for t in g),
                           "on_time_rate": rate(sum(t["on_time"] for t in g), len(g))}
                          for d in sorted({t["dept"] for t in tasks}) for g in [[t for t in tasks if t["dept"] == d]]],
        "chart_workdays": [{"item": t["item"], "limit": t["promised"], "task": t["task"], "workdays": t["wd"]}
                           for t in sorted(tasks, key=lambda t: (t["item"], t["task"]))],
        "chart_ratings": [{"month": m, "level": l, "score": SCORE[l],
                           "count": sum(1 for r in ratings if not r["excluded"] and r["rated_on"][:7] == m and r["level"] == l)}
                          for m in sorted({r["rated_on"][:7] for r in ratings}) for l in LEVELS],
    }
    out = {}
    out["assessment"] = dict(charts, **{
        "specialists": [dict({"dept": p.split()[0], "specialist": p.split()[1]}, **assess(*p.split())) for p in pairs],
        "departments": [dict({"dept": d}, **assess(d, None)) for d in depts],
        "total": [assess(None, None)],
    })

    def elapsed(sel):
        g = [t for t in tasks if sel(t)]
        on = sum(t["on_time"] for t in g)
        return {"tasks": len(g), "on_time_rate": rate(on, len(g)),
                "wd_median": pct([t["wd"] for t in g], .5), "wd_p90": pct([t["wd"] for t in g], .9),
                "cd_median": pct([t["cd"] for t in g], .5), "cd_p90": pct([t["cd"] for t in g], .9)}

    cases = {t["case_no"]: t["channel"] for t in tasks}
    projects = sorted({t["project"] for t in tasks})
    delivered = [t for t in tasks if t["method"]]
    fen = sum(f["fen"] for f in fees)

    def yuan(v):
        return v / 100
    out["bready"] = dict(charts, **{
        "figures": [{"cases": len(cases), "projects": len(projects), "items": len(tasks),
                     "procedures_per_project": rate(len(tasks), len(projects)),
                     "interactions_per_project": rate(sum(t["events"] for t in tasks), len(projects)),
                     "share_online": rate(sum(c == "online" for c in cases.values()), len(cases)),
                     "share_e_licence": rate(sum(t["method"] == "e_licence" for t in delivered), len(delivered)),
                     "share_on_time": rate(sum(t["on_time"] for t in tasks), len(tasks)),
                     "fees": len(fees), "fees_yuan": yuan(fen)}],
        "items": [dict({"item": i, "stage": items[i]["stage"], "dept": items[i]["dept"], "promised_days": items[i]["promised"]},
                       **elapsed(lambda t, i=i: t["item"] == i)) for i in sorted({t["item"] for t in tasks})],
        "departments": [dict({"dept": d}, **elapsed(lambda t, d=d: t["dept"] == d)) for d in sorted({t["dept"] for t in tasks})],
        "stages": [dict({"stage": s}, **elapsed(lambda t, s=s: t["stage"] == s)) for s in sorted({t["stage"] for t in tasks})],
        "projects": [{"project": p, "cases": len({t["case_no"] for t in tasks if t["project"] == p}),
                      "procedures": sum(1 for t in tasks if t["project"] == p),
                      "interactions": sum(t["events"] for t in tasks if t["project"] == p),
                      "fees": sum(1 for f in fees if f["project"] == p),
                      "fees_yuan": yuan(sum(f["fen"] for f in fees if f["project"] == p))} for p in projects],
    })
    subm = [c for c in data["cases"] if inp(c["submitted_on"])]
    rem = {}
    for r in data["reminders"]:
        if inp(r["day"]):
            rem.setdefault((r["kind"], r["level"]), []).append(r["task"])
    slow = sorted(({"item": i, "med": pct([t["wd"] for t in tasks if t["item"] == i], .5)} for i in {t["item"] for t in tasks}),
                  key=lambda x: (-x["med"], x["item"]))[:5]
    over = sorted((t for t in tasks if t["wd"] > t["promised"]), key=lambda t: (-(t["wd"] - t["promised"]), t["task"]))[:5]
    out["summary"] = dict(charts, **{
        "volumes": [{"cases_submitted": len(subm), "online": sum(c["channel"] == "online" for c in subm),
                     "hall": sum(c["channel"] == "hall" for c in subm), "items_decided": len(tasks),
                     "approved": sum(t["decision"] == "APPROVED" for t in tasks),
                     "rejected": sum(t["decision"] == "REJECTED" for t in tasks),
                     "on_time": sum(t["on_time"] for t in tasks), "late": sum(not t["on_time"] for t in tasks),
                     "ratings": sum(not r["excluded"] for r in ratings), "bad": sum(r["bad"] for r in ratings)}],
        "reminders": [{"kind": k, "level": l, "reminders": len(v), "tasks": len(set(v))} for (k, l), v in sorted(rem.items())],
        "bad_ratings": [{"case_no": r["case_no"], "dept": r["dept"], "specialist": r["specialist"], "level": r["level"],
                         "rectification": r["rect"] or "none"} for r in ratings if r["bad"]],
        "slowest_items": [dict({"item": s["item"], "dept": items[s["item"]]["dept"], "promised_days": items[s["item"]]["promised"],
                                "wd_median": s["med"]},
                               **{k: v for k, v in elapsed(lambda t, i=s["item"]: t["item"] == i).items() if k in ("tasks", "on_time_rate")})
                          for s in slow],
        "notable": [{"case_no": t["case_no"], "task": t["task"], "item": t["item"], "dept": t["dept"], "workdays": t["wd"],
                     "promised_days": t["promised"], "over": t["wd"] - t["promised"]} for t in over],
    })
    return out


# ---- reading the formats ----------------------------------------------------

class HTMLReader(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self.marks, self.scripts, self.urls = {}, [], 0, []
        self.section = self.row = self.cell = None
        self.head = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k, v in attrs:
            if k in ("src", "href") or (v and re.search(r"url\(|https?://(?!www\.w3\.org/2000/svg)", v)):
                self.urls.append(v)
        if tag == "script":
            self.scripts += 1
        if tag == "table":
            self.section, self.head = a.get("data-section"), []
            self.tables[self.section] = []
        elif tag == "tr" and self.section:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = ""
        if any(k.startswith("data-") for k in a) and tag in ("rect", "circle", "line"):
            self.marks.append(dict({k[5:]: v for k, v in a.items() if k.startswith("data-")}, _tag=tag))

    def handle_data(self, d):
        if self.cell is not None:
            self.cell += d

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.row is not None:
            self.row.append(self.cell)
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if not self.head:
                self.head = self.row
            else:
                self.tables[self.section].append(dict(zip(self.head, self.row)))
            self.row = None
        elif tag == "table":
            self.section = None


def read_html(text, want):
    p = HTMLReader()
    p.feed(text)
    if p.scripts or p.urls:
        fail("html: %d script tags, external references %s" % (p.scripts, p.urls[:3]))
    got = dict(p.tables)
    # The charts, from the marks' data attributes.
    got["chart_on_time"] = [{"dept": m["dept"], "items": m["items"], "on_time_rate": m["rate"]} for m in p.marks if "rate" in m]
    got["chart_workdays"] = [{"item": m["item"], "task": m["task"], "workdays": m["workdays"]} for m in p.marks if "workdays" in m]
    limits = {m["item"]: m["limit"] for m in p.marks if "limit" in m}
    for r in got["chart_workdays"]:
        r["limit"] = limits.get(r["item"])
    got["chart_ratings"] = [{"month": m["month"], "level": m["level"], "score": m["score"], "count": m["count"]} for m in p.marks if "count" in m]
    return got


def read_csv(text, want):
    got = {}
    for block in text.split("\n\n"):
        lines = block.strip("\n").split("\n")
        rows = list(csv.reader(io.StringIO("\n".join(lines[1:]) + "\n")))
        got[lines[0][2:]] = [dict(zip(rows[0], r)) for r in rows[1:]]
    return got


def read_text(text, want, sections):
    """aligned text: blocks of title, header and rows; or Markdown pipe tables"""
    got, names = {}, [s for s in sections if not s.startswith("chart_")]
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    md = text.startswith("# ")
    tables = []
    for b in blocks:
        lines = b.strip("\n").split("\n")
        if md:
            if lines[0].startswith("|"):
                tables.append([[c.strip().replace("\\|", "|") for c in l.strip().strip("|").split(" | ")]
                               for l in lines if not l.startswith("| ---") and not re.match(r"^\|[ :|-]+\|$", l)])
            elif lines[0] == "(none)":
                tables.append(None)
        elif len(lines) >= 2 and not lines[0].startswith("bangdai "):
            tables.append([l.split() for l in lines[1:] if l != "(none)"])
    if len(tables) != len(names):
        fail("text: %d tables for %d sections" % (len(tables), len(names)))
    for name, t in zip(names, tables):
        if t is None:
            got[name] = []
        else:
            got[name] = [dict(zip(t[0], r)) for r in t[1:]]
    return got


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def same(exp, got):
    if exp is None:
        return got in (None, "", "-")
    if got in (None, "", "-"):
        return False
    if isinstance(exp, bool):
        exp = int(exp)
    if isinstance(exp, int):
        return str(got) == str(exp)
    if isinstance(exp, float):
        s = str(got)
        dec = len(s.split(".")[1]) if "." in s else 0
        return abs(float(s) - exp) <= 0.51 * 10 ** -dec + 1e-9
    return str(got) == exp


def check(cfgpath, datapath, kind, fmt, path):
    exp = expected(cfgpath, json.load(open(datapath, encoding="utf-8")))[kind]
    text = open(path, encoding="utf-8").read()
    if fmt == "json":
        doc = json.loads(text)
        if (doc["report"], doc["period"], doc["from"], doc["to"]) != (kind, "2026-Q3", "2026-07-01", "2026-09-30"):
            fail("json header %s" % [doc["report"], doc["period"], doc["from"], doc["to"]])
        got = doc["sections"]
    elif fmt == "csv":
        got = read_csv(text, exp)
    elif fmt == "html":
        got = read_html(text, exp)
    else:
        got = read_text(text, exp, list(exp))
    checked = 0
    for name, rows in exp.items():
        if fmt in ("table", "md") and name.startswith("chart_"):
            continue
        if name not in got:
            fail("%s %s: no section %s" % (kind, fmt, name))
        g = got[name]
        if len(g) != len(rows):
            fail("%s %s: section %s has %d rows, expected %d" % (kind, fmt, name, len(g), len(rows)))
        for i, (e, r) in enumerate(zip(rows, g)):
            for col, v in e.items():
                if name == "chart_on_time" and col == "on_time" and fmt == "html":
                    continue
                if not same(v, r.get(col)):
                    fail("%s %s: %s row %d (%s) %s = %r, expected %r" % (kind, fmt, name, i, list(e.values())[:2], col, r.get(col), v))
                checked += 1
    print("%s %s: %d figures match" % (kind, fmt, checked))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif sys.argv[1] == "check":
        check(*sys.argv[2:7])
    elif sys.argv[1] == "summary":
        # The generated quarter in a few numbers, for the test's log.
        d = json.load(open(sys.argv[3], encoding="utf-8"))
        e = expected(sys.argv[2], d)
        print("generated: %d cases, %d tasks (%d decided in 2026-Q3, %d with pauses), %d ratings (%d excluded), %d fees"
              % (len(d["cases"]), len(d["tasks"]), e["assessment"]["total"][0]["items"],
                 sum(1 for t in d["tasks"] if t["pauses"]), len(d["ratings"]),
                 sum(r["excluded"] for r in d["ratings"]), len(d["fees"])))
