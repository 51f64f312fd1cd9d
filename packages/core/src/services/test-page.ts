import type { PageRequest } from '../common';

export const DEFAULT_PAGE: PageRequest = { page: 1, perPage: 100 };
