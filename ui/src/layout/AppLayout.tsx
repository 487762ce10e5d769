import { Suspense, useEffect, type ReactNode } from 'react';
import {
  AppBar,
  Layout,
  Loading,
  Logout,
  Menu,
  TitlePortal,
  ToggleThemeButton,
  UserMenu,
  useLogout,
} from 'react-admin';
import DashboardIcon from '@mui/icons-material/Dashboard';
import ScheduleIcon from '@mui/icons-material/Schedule';
import DirectionsRunIcon from '@mui/icons-material/DirectionsRun';
import HubIcon from '@mui/icons-material/Hub';
import HistoryEduIcon from '@mui/icons-material/HistoryEdu';
import { PauseToggle } from './PauseToggle';
import { onUnauthorized } from '../api/http';
import { storedToken } from '../api/token';

function AppMenu() {
  return (
    <Menu>
      <Menu.Item to="/" primaryText="Dashboard" leftIcon={<DashboardIcon />} />
      <Menu.Item to="/jobs" primaryText="Jobs" leftIcon={<ScheduleIcon />} />
      <Menu.Item to="/busy" primaryText="Running now" leftIcon={<DirectionsRunIcon />} />
      <Menu.Item to="/members" primaryText="Members" leftIcon={<HubIcon />} />
      <Menu.Item to="/audit" primaryText="Audit log" leftIcon={<HistoryEduIcon />} />
    </Menu>
  );
}

/** The user menu, with "Sign out", only while a token is in use (servers with ACLs). */
function TokenUserMenu() {
  return (
    <UserMenu>
      <Logout />
    </UserMenu>
  );
}

function TopBar() {
  return (
    <AppBar toolbar={<TopBarTools />} userMenu={storedToken() ? <TokenUserMenu /> : false}>
      <TitlePortal />
    </AppBar>
  );
}

function TopBarTools() {
  return (
    <>
      <PauseToggle />
      <ToggleThemeButton />
    </>
  );
}

/** Sends the user to the token sign-in page whenever the API answers 401. */
function useSignInOnUnauthorized() {
  const logout = useLogout();
  useEffect(() => {
    onUnauthorized(() => {
      void logout();
    });
    return () => onUnauthorized(() => {});
  }, [logout]);
}

export function AppLayout({ children }: { children: ReactNode }) {
  useSignInOnUnauthorized();
  return (
    // min-width 0 lets wide tables scroll inside their card instead of widening the page.
    <Layout appBar={TopBar} menu={AppMenu} sx={{ minWidth: 0, '& .RaLayout-appFrame, & .RaLayout-contentWithSidebar, & .RaLayout-content': { minWidth: 0 } }}>
      <Suspense fallback={<Loading />}>{children}</Suspense>
    </Layout>
  );
}
