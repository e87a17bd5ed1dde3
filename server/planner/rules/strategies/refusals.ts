// Strategies that refuse or ask back before any plan is built.
import type { PlannerOutcome } from '../../types.ts';
import { type Assembly, matchesOf } from '../assembly.ts';
import { clarify, unanswerable } from '../outcomes.ts';

/** Questions no figure answers: forecasts, names and words the data does not know, weekdays. */
export function refuseWhatNoFigureAnswers(a: Assembly): PlannerOutcome | undefined {
  const { r, view } = a;
  if (r.future) {
    return unanswerable(
      view,
      'I can report what has happened, but I cannot forecast or predict future figures.',
    );
  }
  if (r.unknownName) return unanswerable(view, `I don't have any data about "${r.unknownName}".`);
  // a word nothing explains may be the whole point ("shipping costs", "customer acquisition cost"): answering the
  // rest of the question would answer another question
  if (r.unknownWords.length > 0) {
    const words = r.unknownWords.map((w) => `"${w}"`);
    // "what "profit" means", "what "profit" and "margin" mean": the verb agrees with the words
    const said =
      words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words.at(-1)} mean` : `${words[0]} means`;
    return unanswerable(view, `I don't know what ${said} in this data, so I can't answer that reliably.`);
  }
  if (/\b(day of (the )?week|weekday|hour of (the )?day|time of day)\b/i.test(r.question)) {
    return unanswerable(
      view,
      'I can group by calendar days, weeks, months, quarters and years, but not by weekday or hour.',
    );
  }
  return undefined;
}

/** "sales" naming two measures, and the model not saying which: ask, don't guess. */
export function clarifyAmbiguousMeasure(a: Assembly): PlannerOutcome | undefined {
  const { r, view } = a;
  const ambiguous = matchesOf(r, 'measure').find((m) => (m.alternatives?.length ?? 0) > 0);
  if (ambiguous) return clarify(view, ambiguous, r.question);
  return undefined;
}

/** No measure found, or only an inferred one where the question names a metric the model lacks: refuse. */
export function refuseUnmeasured(a: Assembly): PlannerOutcome | undefined {
  const { r, view, measures } = a;
  const namedExplicitly = matchesOf(r, 'measure').length > 0;
  if (r.unknownMetric && (measures.length === 0 || !namedExplicitly)) {
    return unanswerable(view, `I can't find anything about "${r.unknownMetric}" in this data.`);
  }
  if (measures.length === 0 || a.base === undefined) {
    const unknown =
      r.unknownWords.length > 0 ? ` I don't know what "${r.unknownWords.join(' ')}" refers to.` : '';
    return unanswerable(view, `I couldn't match that question to anything in this data.${unknown}`);
  }
  return undefined;
}
