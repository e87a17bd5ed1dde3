// What the answers' wording reads from the semantic model: a field's description and synonyms, a named measure's
// definition, a segment's description. Looked up through the user's view, so hidden things stay unsaid; a name the
// view does not know reads as nothing (the wording falls back to the humanised name).
import type { ModelView } from '../semantic/model-view.ts';
import type { WordsContext } from './explain.ts';

export function modelWords(
  view: Pick<ModelView, 'field' | 'measure' | 'segment' | 'tables'>,
): Pick<WordsContext, 'describeField' | 'namedMeasure' | 'describeSegment'> {
  const quietly = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch {
      return undefined;
    }
  };
  return {
    describeField: (ref) =>
      quietly(() => {
        const field = view.field(ref);
        const table = view.tables.get(field.table);
        const own = table?.columns[field.column] ?? table?.computed[field.column];
        return { description: field.description, synonyms: own?.synonyms ?? [], type: field.type };
      }),
    namedMeasure: (name) =>
      quietly(() => {
        const m = view.measure(name);
        return {
          table: m.table,
          aggregate: m.definition.aggregate,
          column: m.definition.column,
          filter: m.definition.filter,
        };
      }),
    describeSegment: (segment) => quietly(() => view.segment(segment).definition.description),
  };
}
