// How many of a text column's values a file keeps, shared by the profiler (parse.ts) and the files' model.

/** A column of at most this many values is a category: its values are the model's too (and an LLM's prompt's). */
export const MAX_VALUES = 50;
