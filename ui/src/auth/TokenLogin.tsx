import { useState, type FormEvent } from 'react';
import { useLogin, useNotify } from 'react-admin';
import { Box, Button, Card, CardContent, TextField, Typography } from '@mui/material';
import LockIcon from '@mui/icons-material/Lock';

/** The sign-in page of servers with ACLs enabled: one field for the token's secret. */
export function TokenLogin() {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const login = useLogin();
  const notify = useNotify();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    login({ token }).catch((error: Error) => {
      setBusy(false);
      notify(error.message || 'This token was not accepted', { type: 'error' });
    });
  };

  return (
    <Box sx={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center' }}>
      <Card sx={{ width: 380 }} component="form" onSubmit={submit}>
        <CardContent sx={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
          <Box sx={{ display: 'flex', alignItems: 'center', gap: 1 }}>
            <LockIcon color="primary" />
            <Typography variant="h6">Sign in to dkron</Typography>
          </Box>
          <Typography variant="body2" color="text.secondary">
            This server has ACLs enabled. Enter an ACL token (the secret from{' '}
            <code>dkron acl bootstrap</code> or <code>dkron acl token create</code>).
          </Typography>
          <TextField
            label="ACL token"
            name="token"
            type="password"
            autoComplete="off"
            autoFocus
            value={token}
            onChange={(event) => setToken(event.target.value)}
          />
          <Button type="submit" variant="contained" disabled={busy || !token.trim()}>
            Sign in
          </Button>
        </CardContent>
      </Card>
    </Box>
  );
}
