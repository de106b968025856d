// Optimistic screens: the last data fetched from the server, with the phone's own writes the
// server has not reflected yet laid over it (each marked `pending` while it waits in the
// outbox). `items` come from outbox.unseen(): [{name, args, pending, ...}] oldest first.
// Pure functions: they copy what they change and never touch the cached originals.

function of(items, name) {
  return items.filter((i) => i.name === name);
}

function minDate(dates) {
  const real = dates.filter(Boolean).sort();
  return real.length ? real[0] : null;
}

/** 我的任务: stage counts with the phone's "+1"s, follow-ups closed or moved. */
export function overlayTasks(tasks, items) {
  if (!tasks) return tasks;
  const { start, end } = tasks.period;
  const stages = tasks.stages.map((stage) => {
    const mine = of(items, "log_stage_activity").filter(
      (i) => i.args.stage_id === stage.stage_id && i.args.occurred_on >= start && i.args.occurred_on <= end,
    );
    if (!mine.length) return stage;
    return {
      ...stage,
      actual_count: stage.actual_count + mine.length,
      pending_count: mine.filter((i) => i.pending).length,
    };
  });
  return { ...tasks, stages, follow_ups: overlayFollowUps(tasks.follow_ups, items, tasks.today) };
}

/** Follow-ups due: done ones leave the list, moved ones show their new date. */
export function overlayFollowUps(list, items, today) {
  const changes = new Map();
  for (const i of of(items, "set_follow_up")) changes.set(i.args.communication_id, i);
  return list
    .map((f) => {
      const change = changes.get(f.record_id);
      if (!change) return f;
      if (change.args.done || !change.args.next_follow_up_on) return null;
      const due = change.args.next_follow_up_on;
      return { ...f, due_on: due, overdue: due < today, pending: change.pending };
    })
    .filter(Boolean);
}

/** 课表: attendance marks the phone has taken. */
export function overlayTimetable(lessons, items) {
  if (!lessons) return lessons;
  const marks = new Map(); // lesson_id -> student_id -> {mark, pending}
  for (const i of of(items, "mark_attendance")) {
    const byStudent = marks.get(i.args.lesson_id) || new Map();
    for (const m of i.args.marks) byStudent.set(m.student_id, { mark: m, pending: i.pending });
    marks.set(i.args.lesson_id, byStudent);
  }
  return lessons.map((lesson) => {
    const byStudent = marks.get(lesson.lesson_id);
    if (!byStudent) return lesson;
    const students = lesson.students.map((s) => {
      const found = byStudent.get(s.student_id);
      if (!found) return s;
      const old = s.attendance;
      return {
        ...s,
        attendance: {
          attendance_id: found.mark.attendance_id,
          version: old ? old.version : 0,
          status: found.mark.status,
          charged_hours: old && old.status === found.mark.status ? old.charged_hours : null,
          note: found.mark.note || "",
          pending: found.pending,
        },
      };
    });
    return { ...lesson, students };
  });
}

function growthView(i, author) {
  const a = i.args;
  return {
    record_id: a.id,
    version: 0,
    student_id: a.student_id,
    lesson_id: a.lesson_id ?? null,
    teacher_id: "",
    teacher_name: author,
    recorded_on: a.recorded_on,
    progress_note: a.progress_note || "",
    progress: a.progress,
    focus: a.focus,
    performance: a.performance,
    learning_ability: a.learning_ability,
    mastery: a.mastery,
    comment: a.comment || "",
    pending: i.pending,
  };
}

function withGrowth(records, student_id, items, author) {
  const known = new Set(records.map((r) => r.record_id));
  const added = of(items, "add_growth_record")
    .filter((i) => i.args.student_id === student_id && !known.has(i.args.id))
    .map((i) => growthView(i, author));
  if (!added.length) return records;
  return [...added, ...records].sort((a, b) => (a.recorded_on < b.recorded_on ? 1 : a.recorded_on > b.recorded_on ? -1 : 0));
}

/** 学员详情: growth records written on the phone (by ``author``). */
export function overlayStudent(detail, items, author = "") {
  if (!detail) return detail;
  const growth = withGrowth(detail.growth_records, detail.student_id, items, author);
  return growth === detail.growth_records ? detail : { ...detail, growth_records: growth };
}

/** 我的学员: the latest growth records including the phone's. */
export function overlayStudents(students, items, author = "") {
  if (!students) return students;
  return students.map((s) => {
    const growth = withGrowth(s.recent_growth, s.student_id, items, author);
    return growth === s.recent_growth ? s : { ...s, recent_growth: growth };
  });
}

/** 家长: contact edits, new communication records (by ``author``), follow-ups set or closed. */
export function overlayParents(parents, items, author = "") {
  if (!parents) return parents;
  const edits = of(items, "edit_parent");
  const talks = of(items, "add_communication");
  const follow = new Map();
  for (const i of of(items, "set_follow_up")) follow.set(i.args.communication_id, i);
  return parents.map((p) => {
    let out = p;
    const mine = edits.filter((i) => i.args.parent_id === p.parent_id);
    if (mine.length) {
      out = { ...out, pending_fields: [] };
      for (const i of mine) {
        Object.assign(out, i.args.fields);
        if (i.pending) out.pending_fields.push(...Object.keys(i.args.fields));
      }
    }
    const known = new Set(p.communications.map((c) => c.record_id));
    const added = talks
      .filter((i) => i.args.parent_id === p.parent_id && !known.has(i.args.id))
      .map((i) => ({
        record_id: i.args.id,
        version: 0,
        student_id: i.args.student_id ?? null,
        staff_id: "",
        staff_name: author,
        occurred_on: i.args.occurred_on,
        channel: i.args.channel,
        content: i.args.content,
        next_follow_up_on: i.args.next_follow_up_on ?? null,
        follow_up_done: false,
        pending: i.pending,
      }))
      .reverse();
    let communications = added.length ? [...added, ...p.communications] : p.communications;
    if (communications.some((c) => follow.has(c.record_id))) {
      communications = communications.map((c) => {
        const change = follow.get(c.record_id);
        if (!change) return c;
        return {
          ...c,
          next_follow_up_on: change.args.next_follow_up_on,
          follow_up_done: change.args.done ?? c.follow_up_done,
          pending: c.pending || change.pending,
        };
      });
    }
    if (communications !== p.communications) {
      // The earliest open follow-up. The server's figure covers records older than the ones
      // shown; it no longer counts when it came from a record the phone has changed.
      const open = communications
        .filter((c) => !c.follow_up_done && c.next_follow_up_on)
        .map((c) => c.next_follow_up_on);
      const source = p.communications.find(
        (c) => !c.follow_up_done && c.next_follow_up_on === p.next_follow_up_on,
      );
      const stale = source && follow.has(source.record_id);
      out = {
        ...out,
        communications,
        next_follow_up_on: minDate([...open, stale ? null : p.next_follow_up_on]),
      };
    }
    return out;
  });
}

/** 试听: outcomes recorded on the phone. */
export function overlayTrials(trials, items) {
  if (!trials) return trials;
  const changes = new Map();
  for (const i of of(items, "record_trial_outcome")) changes.set(i.args.trial_id, i);
  if (!changes.size) return trials;
  return trials.map((t) => {
    const i = changes.get(t.trial_id);
    if (!i) return t;
    const { status, outcome, feedback } = i.args;
    return { ...t, status, outcome, feedback: feedback ?? t.feedback, pending: i.pending };
  });
}
