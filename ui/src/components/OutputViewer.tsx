import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Alert, Box, Button, Chip, LinearProgress, Stack, Typography } from '@mui/material';
import DownloadIcon from '@mui/icons-material/Download';
import { MONOSPACE } from '../layout/theme';
import { formatSize, tailForDisplay } from '../lib/output';
import type { ExecutionOutput } from './useExecutionOutput';

interface OutputViewerProps {
  output: ExecutionOutput;
  /** Used for the downloaded file's name. */
  fileName: string;
  maxHeight?: number | string;
}

/** Scrolled to within this many pixels of the bottom counts as "following" the output. */
const FOLLOW_SLACK_PX = 40;

/**
 * Shows an execution's output. Long output is cut to its last megabyte (the whole text stays
 * downloadable), and the view keeps following new lines unless the reader scrolled up.
 */
export function OutputViewer({ output, fileName, maxHeight = 420 }: OutputViewerProps) {
  const [showAll, setShowAll] = useState(false);
  const shown = useMemo(
    () => (showAll ? { text: output.text, hiddenChars: 0 } : tailForDisplay(output.text)),
    [output.text, showAll],
  );
  const scroller = useFollowBottom(shown.text);

  return (
    <Box data-testid="output-viewer">
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', mb: 1, flexWrap: 'wrap', rowGap: 1 }}>
        {output.live && <Chip size="small" color="info" label="live" data-testid="output-live" />}
        <Typography variant="caption" color="text.secondary">
          {formatSize(output.text.length)}
        </Typography>
        {shown.hiddenChars > 0 && (
          <Button size="small" onClick={() => setShowAll(true)}>
            Show all ({formatSize(output.text.length)}; may be slow)
          </Button>
        )}
        {output.text.length > 0 && (
          <Button size="small" startIcon={<DownloadIcon />} onClick={() => downloadText(output.text, fileName)}>
            Download
          </Button>
        )}
      </Stack>
      {output.live && <LinearProgress sx={{ mb: 0.5 }} />}
      {output.error && <Alert severity="warning">Could not load the output: {output.error}</Alert>}
      {shown.hiddenChars > 0 && (
        <Typography variant="caption" color="text.secondary" component="div">
          … {formatSize(shown.hiddenChars)} earlier output not shown
        </Typography>
      )}
      <Box
        component="pre"
        ref={scroller.ref}
        onScroll={scroller.onScroll}
        data-testid="output-text"
        sx={{
          m: 0,
          p: 1.5,
          maxHeight,
          overflow: 'auto',
          fontFamily: MONOSPACE,
          fontSize: 13,
          lineHeight: 1.45,
          whiteSpace: 'pre-wrap',
          wordBreak: 'break-word',
          bgcolor: 'action.hover',
          borderRadius: 1,
        }}
      >
        {shown.text || placeholderText(output)}
      </Box>
    </Box>
  );
}

function placeholderText(output: ExecutionOutput): string {
  if (output.loading) return 'Loading output…';
  if (output.live) return 'Running; no output yet…';
  return '(no output)';
}

/** Keeps a scroll box pinned to its end while the reader has not scrolled away from it. */
function useFollowBottom(content: string) {
  const ref = useRef<HTMLPreElement>(null);
  const following = useRef(true);
  useLayoutEffect(() => {
    const box = ref.current;
    if (box && following.current) box.scrollTop = box.scrollHeight;
  }, [content]);
  useEffect(() => {
    following.current = true;
  }, []);
  const onScroll = () => {
    const box = ref.current;
    if (!box) return;
    following.current = box.scrollHeight - box.scrollTop - box.clientHeight < FOLLOW_SLACK_PX;
  };
  return { ref, onScroll };
}

function downloadText(text: string, fileName: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
