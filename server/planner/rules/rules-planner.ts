// The embedded planner: the grammar of analytic questions over the semantic model, with no LLM.
// shorthand.ts writes out what people abbreviate, reading.ts tags the question with what the model and the tenant's
// data know, assemble.ts turns the tags into a QueryPlan (or a refusal); follow-ups and uploaded files have their own
// modules.
import type { ModelView } from '../../semantic/model-view.ts';
import type { Planner, PlannerInput, PlannerOutcome } from '../types.ts';
import { assemble } from './assemble.ts';
import { withBusinessTerms } from './business-terms.ts';
import { planWithDatasets, withoutFiles } from './dataset-questions.ts';
import { applyFollowUp, impliesMeasure, isFollowUp } from './followups.ts';
import { lexiconFor, ValueIndex } from './lexicon.ts';
import { keptFor } from './model-helpers.ts';
import { unanswerable } from './outcomes.ts';
import { read } from './reading.ts';
import { expandShorthand } from './shorthand.ts';
import { fileWordUse, wordUse } from './word-use.ts';

export class RulesPlanner implements Planner {
  readonly name = 'rules';

  async prepare(input: Pick<PlannerInput, 'view' | 'values'>): Promise<void> {
    await loadValues(input);
  }

  async plan(input: PlannerInput): Promise<PlannerOutcome> {
    const written = expandShorthand(input.question.trim());
    // (a user's files may name such a term themselves: with files, a question is read as written)
    const terms = input.datasets?.datasets.length
      ? { question: written, notes: [] }
      : withBusinessTerms(written, input.view);
    const outcome = await this.planQuestion(terms.question, input);
    return outcome.kind === 'plan' && terms.notes.length > 0
      ? { ...outcome, notes: [...outcome.notes, ...terms.notes] }
      : outcome;
  }

  private async planQuestion(question: string, input: PlannerInput): Promise<PlannerOutcome> {
    if (question === '') return unanswerable(input.view, 'Ask a question about your data.');
    const values = await loadValues(input);
    const reading = read(question, input, values);
    const previous = [...input.history].reverse().find((t) => t.plan)?.plan;
    // what became of the question's words, beside the plan (the plan itself is the planner's alone); a failure
    // here leaves the words out: the plan stands, its chips just offer nothing more
    const withWords = (outcome: PlannerOutcome, read = reading): PlannerOutcome => {
      if (
        input.planOnly ||
        outcome.kind !== 'plan' ||
        outcome.plan.source !== 'database' ||
        outcome.plan.blend
      )
        return outcome;
      try {
        return {
          ...outcome,
          words: wordUse(read, outcome.plan, input.view, lexiconFor(input.view)),
        };
      } catch {
        return outcome;
      }
    };
    // follow-ups edit database plans; a question after a dataset answer is read afresh
    if (previous && previous.source === 'database' && !previous.blend && isFollowUp(reading, question)) {
      // "and how much did they spend?": the measure its verb names is the one it has when asked on its own
      const fresh = impliesMeasure(reading) ? assemble(reading, input) : undefined;
      const implied = fresh?.kind === 'plan' ? fresh.plan : undefined;
      return withWords(applyFollowUp(previous, reading, input, question, implied));
    }
    const context = input.datasets;
    if (!context) return withWords(assemble(reading, input));
    // a user without files: an empty model matches none of the question's words, so there is nothing to read it
    // against (reading it again was a quarter of the planning of every answer on the server), only "my file" to refuse
    if (context.datasets.length === 0)
      return withWords(withoutFiles(question, assemble(reading, input), context));
    const dsInput: PlannerInput = { ...input, view: context.view, values: context.values, history: [] };
    const dsValues = await loadValues(dsInput);
    const dsReading = read(question, dsInput, dsValues);
    // words the user's files explain ("targets", "plan") are not unknown to either side of a blend
    const inFiles = new Set(dsReading.matches.flatMap((m) => m.text.split(' ')));
    // a file's name is the file ("my sales targets file"): its words do not also name the database's measures
    const fileNames = dsReading.matches.filter((m) => m.target.kind === 'table');
    const inAFileName = (m: { from: number; to: number }) =>
      fileNames.some((f) => f.from < m.to && m.from < f.to && f.to - f.from > m.to - m.from);
    const dbReading = {
      ...reading,
      matches: reading.matches.filter((m) => !inAFileName(m)),
      unknownWords: reading.unknownWords.filter((w) => !inFiles.has(w)),
    };
    const inDatabase = new Set(reading.matches.flatMap((m) => m.text.split(' ')));
    const filesReading = {
      ...dsReading,
      unknownWords: dsReading.unknownWords.filter((w) => !inDatabase.has(w)),
    };
    const outcome = planWithDatasets(
      question,
      { reading: dbReading, outcome: assemble(dbReading, input), view: input.view },
      { reading: filesReading, input: dsInput, values: dsValues },
      context,
      assemble,
    );
    if (outcome.kind === 'plan' && outcome.plan.source === 'datasets' && !outcome.plan.blend)
      return input.planOnly
        ? outcome
        : { ...outcome, words: fileWordUse(filesReading, outcome.plan, context) };
    // "which countries are our students from": the files know "students", so the database's reading left it out;
    // when no file answers either, the database's answer would ignore it: refuse, with the files' reason (their
    // words are the ones the question used), else the data's
    const leftOut = reading.unknownWords.filter((w) => inFiles.has(w));
    if (
      outcome.kind === 'plan' &&
      outcome.plan.source === 'database' &&
      !outcome.plan.blend &&
      leftOut.length > 0
    ) {
      const files = assemble(filesReading, dsInput);
      if (files.kind !== 'plan') return files;
      // the files would answer by leaving out words only the data knows: say which words are where
      const dataOnly = dsReading.unknownWords.filter((w) => inDatabase.has(w));
      if (dataOnly.length === 0) return withWords(assemble(reading, input));
      return unanswerable(
        input.view,
        `Your files have ${quoted(leftOut)} and the data has ${quoted(dataOnly)}, but nothing connects them, so I can't answer that from either.`,
      );
    }
    return withWords(outcome, dbReading);
  }
}

/** "a", "a" and "b", "a", "b" and "c" */
function quoted(words: string[]): string {
  const q = [...new Set(words)].map((w) => `"${w}"`);
  return q.length > 1 ? `${q.slice(0, -1).join(', ')} and ${q.at(-1)}` : (q[0] ?? '');
}

/** The text columns whose values the tenant's data holds (the model lists no values for them). */
function valueFields(view: ModelView): readonly string[] {
  return keptFor(view, 'value fields', () => {
    const fields: string[] = [];
    for (const [tableName, table] of view.tables) {
      if (table.access !== 'queryable') continue;
      for (const [col, def] of Object.entries(table.columns)) {
        if (def.type === 'string' && !def.values) fields.push(`${tableName}.${col}`);
      }
    }
    return fields;
  });
}

async function loadValues(input: Pick<PlannerInput, 'view' | 'values'>): Promise<ValueIndex> {
  const index = new ValueIndex();
  const fields = valueFields(input.view);
  const lists = await Promise.all(
    fields.map((f) => input.values.values(f, 5000).catch(() => [] as string[])),
  );
  for (const [i, f] of fields.entries()) index.addField(f, lists[i] ?? []);
  return index;
}
