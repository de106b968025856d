// Rows that left this person's scope (a student handed to another consultant, a lesson given
// to another teacher…) must leave the phone too, also from screens kept for reading offline.
// The server's pull names them: `gone` is table -> ids, `reset` means "forget everything".
// The phone keeps whole screens, not rows; forget() takes the gone rows out of one screen's
// answer, or says the whole answer goes (null). Pure: the controller does the storage.

/** The server's `gone` lists as sets, merged over several answers. */
export function goneSets(answers) {
  const sets = {};
  for (const answer of answers) {
    for (const [table, ids] of Object.entries(answer.gone || {})) {
      sets[table] ||= new Set();
      for (const id of ids) sets[table].add(id);
    }
  }
  return sets;
}

/**
 * The cached answer of ``path`` without the rows in ``gone`` (table -> Set of ids): the
 * same object when nothing in it is gone, null when the whole screen is about a gone row.
 */
export function forget(path, data, gone) {
  const has = (table, id) => Boolean(id && gone[table] && gone[table].has(id));
  const keep = (list, test) => {
    const kept = list.filter(test);
    return kept.length === list.length ? list : kept;
  };
  const followUp = (f) => !has("communication_records", f.record_id) && !has("parents", f.parent_id);
  const growth = (g) => !has("growth_records", g.record_id) && !has("students", g.student_id);
  const [base] = path.split("?");
  let next = data;
  if (base === "/api/me/tasks") {
    const follow_ups = keep(data.follow_ups || [], followUp);
    if (follow_ups !== data.follow_ups && data.follow_ups) next = { ...data, follow_ups };
  } else if (base === "/api/follow-ups") {
    next = keep(data, followUp);
  } else if (base === "/api/timetable") {
    next = keep(data, (l) => !has("lessons", l.lesson_id)).map((l) => {
      const students = keep(l.students, (s) => !has("lesson_students", s.link_id) && !has("students", s.student_id));
      return students === l.students ? l : { ...l, students };
    });
    if (next.length === data.length && next.every((l, i) => l === data[i])) next = data;
  } else if (base === "/api/students") {
    next = keep(data, (s) => !has("students", s.student_id)).map((s) => {
      const recent_growth = keep(s.recent_growth || [], growth);
      return recent_growth === s.recent_growth || !s.recent_growth ? s : { ...s, recent_growth };
    });
    if (next.length === data.length && next.every((s, i) => s === data[i])) next = data;
  } else if (base.startsWith("/api/students/")) {
    if (has("students", data.student_id)) return null;
    const parents = keep(data.parents || [], (p) => !has("student_parents", p.link_id) && !has("parents", p.parent_id));
    const growth_records = keep(data.growth_records || [], growth);
    if (parents !== data.parents || growth_records !== data.growth_records) next = { ...data, parents, growth_records };
  } else if (base === "/api/parents") {
    next = keep(data, (p) => !has("parents", p.parent_id)).map((p) => {
      const students = keep(p.students, (s) => !has("student_parents", s.link_id) && !has("students", s.student_id));
      const communications = keep(p.communications, (c) => !has("communication_records", c.record_id));
      return students === p.students && communications === p.communications ? p : { ...p, students, communications };
    });
    if (next.length === data.length && next.every((p, i) => p === data[i])) next = data;
  } else if (base === "/api/trials") {
    next = keep(data, (t) => !has("trial_lessons", t.trial_id));
  }
  return next;
}
