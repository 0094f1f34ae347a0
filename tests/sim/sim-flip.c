#include <string.h>

#include "sim-flip.h"

enum {
  CMD_PROG_START = 0x01,
  CMD_DISPLAY_DATA = 0x03,
  CMD_WRITE = 0x04,
  CMD_READ = 0x05,
  CMD_CHANGE_BASE = 0x06,
};

#define HEADER_SIZE 32

void
sim_flip_power_up (SimFlipState *flip, const SimProfile *p)
{
  flip->signature_ff = FALSE;
  sim_flip_enter (flip, p);
}

void
sim_flip_enter (SimFlipState *flip, const SimProfile *p)
{
  /* LUFA: IsSecure = SECURE_MODE at every start of the bootloader */
  flip->locked = p->flip->secure;
  flip->page64 = 0;
  flip->wait_for_exit = FALSE;
  memset (flip->command, 0, sizeof flip->command);
}

static guint32
app_size (const SimProfile *p, SimMemory *memory)
{
  guint32 start = 0;
  gsize size = 0;

  sim_memory_get_main (memory, 0, &start, &size);
  return (guint32) size - p->flip->bootloader_size;
}

static guint32
flash_address (const SimFlipState *flip, guint16 address)
{
  return ((guint32) flip->page64 << 16) | address;
}

static SimResult
refuse (guint *state, guint *status, guint code)
{
  *state = SIM_STATE_ERROR;
  *status = code;
  return SIM_RESULT_STALL;
}

static void
chip_erase (SimFlipState *flip, const SimProfile *p, SimMemory *memory, guint *state, guint *status,
            SimFlipEffect *effect)
{
  guint32 app = app_size (p, memory);

  effect->op = SIM_OP_MASS_ERASE;
  if (flip->fail_status != 0)
    {
      *state = SIM_STATE_ERROR;
      *status = flip->fail_status;
      return;
    }

  for (guint32 at = 0; at < app; at += p->flip->page_size)
    {
      DfSector sector;
      sim_memory_erase_sector (memory, 0, at, &sector);
    }
  flip->locked = FALSE;
  if (p->flip->signature_ff_after_erase)
    flip->signature_ff = TRUE;
  effect->busy_us = (app / p->flip->page_size) * p->flip->page_erase_us;
  effect->bytes = app;
}

/* `01 mem sH sL eH eL`, then 26 filler bytes, start % 32 more, the data
 * and a 16-byte suffix (LUFA DiscardFillerBytes) */
static void
program (SimFlipState *flip, const SimProfile *p, SimMemory *memory, const guint8 *data, gsize length,
         guint *state, guint *status, SimFlipEffect *effect)
{
  gsize offset = HEADER_SIZE + flip->start % HEADER_SIZE;
  gsize n = (gsize) (flip->end - flip->start) + 1;
  guint32 app = app_size (p, memory);

  if (flip->end < flip->start || offset + n > length)
    return;  /* LUFA waits for data that never comes; nothing is written */
  if (flip->fail_status != 0)
    {
      *state = SIM_STATE_ERROR;
      *status = flip->fail_status;
      effect->op = SIM_OP_WRITE;
      return;
    }
  if (flip->lost)
    {
      effect->op = SIM_OP_WRITE;
      effect->bytes = n;
      return;
    }
  if (flip->command[1] == 0x01)
    {
      sim_memory_program (memory, 1, flip->start, data + offset, n, G_MAXSIZE);
      effect->busy_us = n * p->flip->eeprom_byte_us;
      effect->op = SIM_OP_WRITE;
      effect->bytes = n;
      return;
    }
  effect->op = SIM_OP_WRITE;
  effect->bytes = n;
  for (gsize done = 0; done < n;)
    {
      guint32 at = flash_address (flip, (guint16) (flip->start + done));
      guint32 page_end = at - at % p->flip->page_size + p->flip->page_size;
      gsize chunk = MIN (n - done, page_end - at);
      DfSector sector;

      /* the boot lock bits make SPM into the bootloader section a no-op */
      if (at < app)
        {
          if (p->flip->lufa)
            sim_memory_erase_sector (memory, 0, at, &sector);  /* BootloaderAPI_ErasePage */
          sim_memory_program (memory, 0, at, data + offset + done, chunk, G_MAXSIZE);
        }
      effect->busy_us += p->flip->page_write_us + (p->flip->lufa ? p->flip->page_erase_us : 0);
      done += chunk;
    }
}

static void
blank_check (SimFlipState *flip, const SimProfile *p, SimMemory *memory, guint *state, guint *status)
{
  guint32 app = app_size (p, memory);
  guint32 from = p->flip->lufa ? 0 : flash_address (flip, flip->start);
  guint32 to = p->flip->lufa ? app : MIN (app, flash_address (flip, flip->end) + 1);
  g_autofree guint8 *bytes = g_malloc (MAX (app, 1));
  guint8 read_status = SIM_OK;

  if (sim_memory_read (memory, 0, 0, bytes, app, &read_status) < app)
    return;
  for (guint32 at = from; at < to; at++)
    if (bytes[at] != 0xff)
      {
        flip->start = at & 0xffff;
        *state = SIM_STATE_ERROR;
        *status = SIM_ERR_CHECK_ERASED;
        return;
      }
}

static SimResult
dnload (SimFlipState *flip, const SimProfile *p, SimMemory *memory, guint *state, guint *status,
        const SimSetup *setup, const guint8 *data, SimFlipEffect *effect)
{
  const guint8 *c = data;

  /* LUFA: a pending start-application runs at the next DNLOAD */
  if (flip->wait_for_exit)
    {
      effect->leave = TRUE;
      effect->op = SIM_OP_LEAVE;
      return SIM_RESULT_OK;
    }
  if (setup->length == 0)
    {
      if (*state == SIM_STATE_DNLOAD_IDLE)
        *state = SIM_STATE_DFU_IDLE;
      return SIM_RESULT_OK;
    }
  memset (flip->command, 0, sizeof flip->command);
  memcpy (flip->command, c, MIN (setup->length, sizeof flip->command));
  c = flip->command;

  if (flip->locked && !(c[0] == CMD_WRITE && c[1] == 0x00 && c[2] == 0xff) && c[0] != CMD_READ)
    return refuse (state, status, SIM_ERR_WRITE);

  switch (c[0])
    {
    case CMD_PROG_START:
      if (c[1] > 0x01)
        break;
      flip->start = (guint16) (c[2] << 8 | c[3]);
      flip->end = (guint16) (c[4] << 8 | c[5]);
      *state = SIM_STATE_DNLOAD_IDLE;
      if (setup->length > 6)
        program (flip, p, memory, data, setup->length, state, status, effect);
      break;
    case CMD_DISPLAY_DATA:
      flip->start = (guint16) (c[2] << 8 | c[3]);
      flip->end = (guint16) (c[4] << 8 | c[5]);
      if (c[1] == 0x00 || c[1] == 0x02)
        *state = SIM_STATE_UPLOAD_IDLE;
      else if (c[1] == 0x01)
        blank_check (flip, p, memory, state, status);
      break;
    case CMD_WRITE:
      if (c[1] == 0x03)
        flip->wait_for_exit = TRUE;
      else if (c[1] == 0x00 && c[2] == 0xff)
        chip_erase (flip, p, memory, state, status, effect);
      break;
    case CMD_READ:
      if (c[1] == 0x00 && c[2] < 3)
        flip->response = p->flip->bootloader[c[2]];
      else if (c[1] == 0x01 && (c[2] == 0x30 || c[2] == 0x31 || c[2] == 0x60 || c[2] == 0x61))
        {
          guint8 sig[4] = { 0x58, p->flip->signature[0], p->flip->signature[1], p->flip->signature[2] };
          guint i = c[2] == 0x30 ? 0 : c[2] == 0x31 ? 1 : c[2] == 0x60 ? 2 : 3;
          flip->response = flip->signature_ff ? 0xff : sig[i];
        }
      else
        {
          *state = SIM_STATE_ERROR;
          *status = SIM_ERR_ADDRESS;
        }
      break;
    case CMD_CHANGE_BASE:
      if (c[1] == 0x03 && c[2] == 0x00)
        flip->page64 = c[3];
      break;
    default:
      break;
    }
  return SIM_RESULT_OK;
}

static SimResult
upload (SimFlipState *flip, SimMemory *memory, guint *state, const SimSetup *setup, guint8 *data, gsize *actual)
{
  gsize n;
  guint8 read_status = SIM_OK;

  if (*state != SIM_STATE_UPLOAD_IDLE)
    {
      if (*state == SIM_STATE_ERROR && flip->command[0] == CMD_DISPLAY_DATA && flip->command[1] == 0x01)
        {
          /* the first used address of a failed blank check, little-endian */
          guint8 at[2] = { flip->start & 0xff, flip->start >> 8 };
          n = MIN (setup->length, 2);
          memcpy (data, at, n);
        }
      else
        {
          n = MIN (setup->length, 1);
          memcpy (data, &flip->response, n);
        }
      *actual = n;
      return SIM_RESULT_OK;
    }
  n = MIN ((gsize) setup->length, (gsize) (flip->end - flip->start) + 1);
  if (flip->command[1] == 0x02)
    n = sim_memory_read (memory, 1, flip->start, data, n, &read_status);
  else
    n = sim_memory_read (memory, 0, flash_address (flip, flip->start), data, n, &read_status);
  *actual = n;
  *state = SIM_STATE_DFU_IDLE;
  return SIM_RESULT_OK;
}

SimOpKind
sim_flip_classify (const SimSetup *setup, const guint8 *data, gsize *bytes)
{
  *bytes = 0;
  if (data == NULL || setup->length < 3)
    return SIM_OP_LAST;
  if (data[0] == CMD_WRITE && data[1] == 0x00 && data[2] == 0xff)
    return SIM_OP_MASS_ERASE;
  if (data[0] == CMD_PROG_START && data[1] <= 0x01 && setup->length > 6)
    {
      guint16 start = (guint16) (data[2] << 8 | data[3]), end = (guint16) (data[4] << 8 | data[5]);
      *bytes = end >= start ? (gsize) (end - start) + 1 : 0;
      return SIM_OP_WRITE;
    }
  return SIM_OP_LAST;
}

SimResult
sim_flip_request (SimFlipState *flip, const SimProfile *p, SimMemory *memory, guint *state, guint *status,
                  const SimSetup *setup, guint8 *data, gsize *actual, SimFlipEffect *effect)
{
  memset (effect, 0, sizeof *effect);
  effect->op = SIM_OP_LAST;
  switch (setup->request)
    {
    case SIM_DFU_DNLOAD:
      return dnload (flip, p, memory, state, status, setup, data, effect);
    case SIM_DFU_UPLOAD:
      return upload (flip, memory, state, setup, data, actual);
    case SIM_DFU_GETSTATUS:
      {
        guint8 answer[6] = { (guint8) *status, 0, 0, 0, (guint8) *state, 0 };
        gsize n = MIN (setup->length, sizeof answer);
        memcpy (data, answer, n);
        *actual = n;
        return SIM_RESULT_OK;
      }
    case SIM_DFU_CLRSTATUS:
      *status = SIM_OK;
      /* LUFA resets the status only; Atmel's leaves dfuERROR as DFU says */
      if (!p->flip->lufa && *state == SIM_STATE_ERROR)
        *state = SIM_STATE_DFU_IDLE;
      return SIM_RESULT_OK;
    case SIM_DFU_GETSTATE:
      {
        guint8 s = (guint8) *state;
        if (setup->length > 0)
          {
            data[0] = s;
            *actual = 1;
          }
        return SIM_RESULT_OK;
      }
    case SIM_DFU_ABORT:
      *state = SIM_STATE_DFU_IDLE;
      return SIM_RESULT_OK;
    default:
      return SIM_RESULT_OK;  /* LUFA ignores what it does not know */
    }
}
