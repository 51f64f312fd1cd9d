import { DEFAULT_PER_PAGE, type PageRequest } from '../common';

export const DEFAULT_PAGE: PageRequest = { page: 1, perPage: DEFAULT_PER_PAGE };
