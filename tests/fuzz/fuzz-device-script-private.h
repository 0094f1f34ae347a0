/* fuzz-device-script-private.h: the scripted device's state, shared by
 * fuzz-device-script.c (DFU 1.1 and DfuSe) and fuzz-device-flip.c (Atmel's
 * FLIP commands, which ride on DNLOAD and UPLOAD). */
#pragma once

#include "df-clock.h"
#include "df-usb.h"
#include "fuzz-device-script.h"

G_BEGIN_DECLS

/* how to answer one request: the script's byte (fuzz-device-script.h) */
enum {
  ANSWER_RIGHT, ANSWER_STALL, ANSWER_GONE, ANSWER_TIMEOUT, ANSWER_SHORT, ANSWER_OVERFLOW,
  ANSWER_BUSY, ANSWER_ERROR, ANSWER_RAW_STATUS, ANSWER_HOLD, ANSWER_LOSE_STATE, ANSWER_CANCEL,
};

/* what a DNLOAD started and the next GETSTATUS finishes */
typedef enum { PENDING_NONE, PENDING_COMMAND, PENDING_WRITE, PENDING_LEAVE, PENDING_MANIFEST } Pending;

struct _ScriptedDevice {
  ScriptedDeviceConfig config;
  FuzzReader    script;
  GPtrArray    *ops;           /* of ScriptOp */
  GCancellable *cancellable;
  DfClock       clock;
  DfUsbBus      bus;

  gint64        now_us;
  gint64        last_seen_us;  /* the engine's last request */
  gint64        dnload_us;     /* the last DNLOAD, while its status requests go on; -1: none */
  guint         dnloads;

  /* on the bus */
  gboolean      present;
  gboolean      returns;       /* gone, and back in DFU mode at the next enumeration */
  gboolean      runtime;       /* still in its application (protocol 1) */
  guint8        address;
  guint         generation;    /* bumped when it drops off: old transports are dead */
  DfDevice     *described;     /* as the engine last described it: layouts, mode */
  gboolean      dfuse;

  /* DFU state */
  guint8        state;
  guint8        status;
  guint8        alt;
  guint32       pointer;
  guint32       asked_pointer; /* the last SET_ADDRESS the host sent, done or not */
  Pending       pending;
  gboolean      busy_answered; /* the pending operation's first GETSTATUS was answered */
  guint8        command[5];
  gsize         command_length;
  guint32       write_at;
  guint32       asked_at;      /* where the host meant it: what is recorded */
  GBytes       *write_data;
  gboolean      detached;      /* runtime: DETACH received, waiting for the reset */
  GByteArray   *download;      /* plain DFU: this download so far */
  guint32       download_unit; /* ... and the length of its block 0 */
  GByteArray   *firmware;      /* plain DFU: what UPLOAD returns */
  GHashTable   *memory;        /* (space << 32 | page address) -> PAGE bytes */

  /* FLIP (fuzz-device-flip.c): Atmel's commands over DNLOAD and UPLOAD */
  gboolean      flip;
  guint8        flip_command[6];
  guint16       flip_start;    /* the command's range, in the selected 64 KiB page */
  guint16       flip_end;
  guint8        flip_page;
  guint8        flip_answer;   /* what the next UPLOAD answers a configuration read */
  gboolean      flip_leaving;  /* start-application asked: it goes at the next DNLOAD */
};

/* A space is where memory lives: the alt setting (DfuSe) or the FLIP
 * memory (0 flash, 1 EEPROM).  Memory never written reads as the config's
 * memory_fill. */
void scripted_memory_write (ScriptedDevice *self, guint8 space, guint32 address, const guint8 *data, gsize n);
void scripted_memory_read (ScriptedDevice *self, guint8 space, guint32 address, guint8 *data, gsize n);
/* only pages already written: the rest reads as the fill anyway */
void scripted_memory_fill (ScriptedDevice *self, guint8 space, guint32 address, guint64 n, guint8 value);
/* an erase or write the host asked for, for the harness to check */
void scripted_record (ScriptedDevice *self, guint8 space, ScriptOpKind kind, guint32 address, GBytes *data);
/* off the bus; returns: back in DFU mode at the next enumeration */
void scripted_go_away (ScriptedDevice *self, gboolean returns);
void scripted_set_error (ScriptedDevice *self, guint8 status);

/* FLIP: a DNLOAD (FALSE: stall) and an UPLOAD's answer (its length) */
gboolean scripted_flip_dnload (ScriptedDevice *self, const guint8 *data, gsize length);
gsize    scripted_flip_upload (ScriptedDevice *self, guint8 answer, guint8 param, guint8 *data, gsize length);

G_END_DECLS
