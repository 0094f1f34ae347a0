/* fuzz-device-flip.c: the scripted device as a FLIP bootloader.  Every
 * command is a DNLOAD whose data is the command, done as it arrives; an
 * UPLOAD answers the last one.  It follows LUFA's DFU bootloader
 * (Bootloaders/DFU/BootloaderDFU.c), which QMK's copies, as defuse-sim's
 * sim-flip.c does: commands it does not know are ignored, CLRSTATUS
 * clears the status only, a start-application runs at the next DNLOAD.
 * The script's faults come on top, as for every request. */
#include <string.h>

#include "df-flip-chips.h"
#include "df-protocol.h"
#include "fuzz-device-script-private.h"

enum {
  CMD_PROG_START = 0x01,
  CMD_DISPLAY_DATA = 0x03,
  CMD_WRITE = 0x04,
  CMD_READ = 0x05,
  CMD_CHANGE_BASE = 0x06,
};

/* a write's header: the command, then filler up to 32 bytes plus the
 * start address modulo 32 (LUFA DiscardFillerBytes) */
#define HEADER_SIZE 32
/* Atmel's manufacturer code, configuration byte 1/30 (doc7618) */
#define ATMEL 0x58

static const DfFlipChip *
chip (ScriptedDevice *self)
{
  return self->described != NULL ? self->described->flip_chip : NULL;
}

static guint32
app_size (ScriptedDevice *self)
{
  return chip (self) != NULL ? df_flip_chip_app_size (chip (self)) : 0;
}

static guint32
flash_address (ScriptedDevice *self, guint16 address)
{
  return ((guint32) self->flip_page << 16) | address;
}

/* `04 00 FF`: every application page back to 0xFF, pages never written
 * too (they would read as the fill) */
static void
chip_erase (ScriptedDevice *self)
{
  guint32 app = app_size (self);
  g_autofree guint8 *erased = g_malloc (MAX (app, 1));

  scripted_record (self, 0, SCRIPT_CHIP_ERASE, app, NULL);
  memset (erased, 0xff, app);
  scripted_memory_write (self, 0, 0, erased, app);
}

/* `01 mem sH sL eH eL`, filler, the data; the bytes come with the
 * command (a write too short for its range writes nothing, as LUFA,
 * which waits for data that never comes) */
static void
program (ScriptedDevice *self, const guint8 *data, gsize length)
{
  guint8 memory = self->flip_command[1];
  gsize offset = HEADER_SIZE + self->flip_start % HEADER_SIZE;
  gsize n = (gsize) (self->flip_end - self->flip_start) + 1;
  guint32 at = memory == 0 ? flash_address (self, self->flip_start) : self->flip_start;
  g_autoptr(GBytes) bytes = NULL;

  if (self->flip_end < self->flip_start || offset + n > length)
    return;
  bytes = g_bytes_new (data + offset, n);
  scripted_record (self, memory, SCRIPT_WRITE, at, bytes);
  /* the boot lock bits make a write into the bootloader section a no-op */
  if (memory == 0)
    n = at < app_size (self) ? MIN (n, app_size (self) - at) : 0;
  scripted_memory_write (self, memory, at, data + offset, n);
}

/* `03 01 sH sL eH eL`: dfuERROR/errCHECK_ERASED at the first byte that
 * is not 0xFF, which the next UPLOAD tells */
static void
blank_check (ScriptedDevice *self)
{
  guint32 from = flash_address (self, self->flip_start);
  guint32 to = MIN (app_size (self), flash_address (self, self->flip_end) + 1);
  guint8 bytes[256];

  /* a buffer at a time: a byte at a time was most of a run */
  for (guint32 at = from; at < to; at += sizeof bytes)
    {
      guint32 n = MIN (to - at, sizeof bytes);

      scripted_memory_read (self, 0, at, bytes, n);
      for (guint32 i = 0; i < n; i++)
        if (bytes[i] != 0xff)
          {
            self->flip_start = (at + i) & 0xffff;
            scripted_set_error (self, DF_STATUS_ERR_CHECK_ERASED);
            return;
          }
    }
}

/* `05 group index`: the bootloader's version and ids, the signature */
static void
read_config (ScriptedDevice *self)
{
  /* LUFA's BOOTLOADER_VERSION and BOOTLOADER_ID_BYTE1/2 */
  static const guint8 bootloader[3] = { 0x10, 0xdc, 0xfb };
  guint8 group = self->flip_command[1], index = self->flip_command[2];

  if (group == 0x00 && index < 3)
    self->flip_answer = bootloader[index];
  else if (group == 0x01 && index == 0x30)
    self->flip_answer = ATMEL;
  else if (group == 0x01 && chip (self) != NULL && (index == 0x31 || index == 0x60 || index == 0x61))
    self->flip_answer = chip (self)->signature[index == 0x31 ? 0 : index == 0x60 ? 1 : 2];
  else
    scripted_set_error (self, DF_STATUS_ERR_ADDRESS);
}

gboolean
scripted_flip_dnload (ScriptedDevice *self, const guint8 *data, gsize length)
{
  guint8 *c = self->flip_command;

  self->dnloads++;
  if (self->flip_leaving)
    {
      scripted_go_away (self, FALSE);
      return TRUE;
    }
  if (length == 0)
    {
      if (self->state == DF_STATE_DNLOAD_IDLE)
        self->state = DF_STATE_DFU_IDLE;
      return TRUE;
    }
  memset (c, 0, sizeof self->flip_command);
  memcpy (c, data, MIN (length, sizeof self->flip_command));
  switch (c[0])
    {
    case CMD_PROG_START:
      if (c[1] > 0x01)
        break;
      self->flip_start = (guint16) (c[2] << 8 | c[3]);
      self->flip_end = (guint16) (c[4] << 8 | c[5]);
      self->state = DF_STATE_DNLOAD_IDLE;
      program (self, data, length);
      break;
    case CMD_DISPLAY_DATA:
      self->flip_start = (guint16) (c[2] << 8 | c[3]);
      self->flip_end = (guint16) (c[4] << 8 | c[5]);
      if (c[1] == 0x00 || c[1] == 0x02)
        self->state = DF_STATE_UPLOAD_IDLE;
      else if (c[1] == 0x01)
        blank_check (self);
      break;
    case CMD_WRITE:
      if (c[1] == 0x03)
        self->flip_leaving = TRUE;
      else if (c[1] == 0x00 && c[2] == 0xff)
        chip_erase (self);
      break;
    case CMD_READ:
      read_config (self);
      break;
    case CMD_CHANGE_BASE:
      if (c[1] == 0x03 && c[2] == 0x00)
        self->flip_page = c[3];
      break;
    default:
      break;
    }
  return TRUE;
}

gsize
scripted_flip_upload (ScriptedDevice *self, guint8 answer, guint8 param, guint8 *data, gsize length)
{
  const guint8 *c = self->flip_command;
  gsize n;

  if (self->state != DF_STATE_UPLOAD_IDLE)
    {
      /* a failed blank check's first used address, little-endian; else
       * the configuration byte (the script may answer another: 0xFF is
       * Atmel's after an erase) */
      guint8 answers[2] = { self->flip_start & 0xff, self->flip_start >> 8 };
      gboolean blank_check = self->state == DF_STATE_ERROR && c[0] == CMD_DISPLAY_DATA && c[1] == 0x01;

      if (!blank_check)
        answers[0] = answer == ANSWER_RAW_STATUS ? (guint8) (param * 0x11) : self->flip_answer;
      n = MIN (length, blank_check ? 2 : 1);
      memcpy (data, answers, n);
      return n;
    }
  n = MIN (length, (gsize) (self->flip_end - self->flip_start) + 1);
  if (c[1] == 0x02)
    scripted_memory_read (self, 1, self->flip_start, data, n);
  else
    scripted_memory_read (self, 0, flash_address (self, self->flip_start), data, n);
  self->state = DF_STATE_DFU_IDLE;
  return n;
}
