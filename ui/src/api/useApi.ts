import { useDataProvider } from 'react-admin';
import type { DkronDataProvider } from './dataProvider';

/** The data provider with dkron's extra calls (run, toggle, previews, members, …). */
export function useApi(): DkronDataProvider {
  return useDataProvider() as unknown as DkronDataProvider;
}
