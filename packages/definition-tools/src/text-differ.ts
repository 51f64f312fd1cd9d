import type { TextDiffer } from '@signalbox/core';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';

/** Unified diffs with jsdiff: `---`/`+++` headers, `@@` hunks, 3 lines of context; '' when equal. */
export function diffTexts(): TextDiffer {
  return {
    unified(before, after, labels) {
      if (before === after) return '';
      return createTwoFilesPatch(labels.before, labels.after, before, after, undefined, undefined, {
        context: 3,
        headerOptions: FILE_HEADERS_ONLY,
      });
    },
  };
}
