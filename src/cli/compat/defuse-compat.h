/* defuse-compat.h: defuse-cli's personalities.  Run as `dfu-util`, `pydfu`
 * or `dfu-programmer` (a link's name, or `defuse-cli dfu-util ARGS`),
 * defuse-cli reads the command lines of dfu-util 0.11, MicroPython's
 * pydfu.py and dfu-programmer 0.6/0.7 and prints
 * what their callers parse (COMPAT.md); the work is the engine's own plan
 * and job, the same as `defuse-cli flash`. */
#pragma once

#include <sysexits.h>

#include "defuse-cli.h"
#include "df-flip-chips.h"

int compat_dfu_util (int argc, char **argv);
int compat_pydfu (int argc, char **argv);
int compat_dfu_programmer (int argc, char **argv);

/* --- dfu-util's device selection (defuse-compat-dfu-util-match.c) ------- */

#define DFU_UTIL_ANY  (-1)       /* matches every id */
#define DFU_UTIL_NONE 0x10000    /* matches no id */

typedef struct {
  gint   vid, pid;               /* of a device running its application */
  gint   vid_dfu, pid_dfu;       /* of a device in DFU mode */
  gchar *serial, *serial_dfu;    /* NULL: any */
  gchar *path;                   /* -p "1-2.3" */
  gint   devnum;                 /* -n, DFU_UTIL_ANY: any */
  gint   cfg, intf, alt;         /* -c -i -a, DFU_UTIL_ANY: any */
  gchar *alt_name;               /* -a by name */
} DfuUtilMatch;

/* one DFU interface alt setting that matches: a line of `dfu-util -l` */
typedef struct {
  DfDevice *device;
  DfAlt    *alt;
} DfuUtilEntry;

void      dfu_util_match_init (DfuUtilMatch *match);
void      dfu_util_match_clear (DfuUtilMatch *match);
/* -d [V][:P][,[V][:P]] */
gboolean  dfu_util_match_parse_device (DfuUtilMatch *match, const gchar *text, GError **error);
/* -S S[,S_DFU] */
void      dfu_util_match_parse_serial (DfuUtilMatch *match, const gchar *text);
/* the matching alt settings of devices (of DfDevice), in dfu-util's order */
GArray   *dfu_util_match_entries (const DfuUtilMatch *match, GPtrArray *devices);
/* the devices plugged in, enumerated again until one matches when wait */
GPtrArray *dfu_util_match_find (const DfuUtilMatch *match, gboolean wait, GArray **entries,
                                GError **error);

/* --- a parsed dfu-util command line (defuse-compat-dfu-util.c) ---------- */

typedef enum {
  DFU_UTIL_MODE_NONE,
  DFU_UTIL_MODE_LIST,
  DFU_UTIL_MODE_DETACH,
  DFU_UTIL_MODE_UPLOAD,
  DFU_UTIL_MODE_DOWNLOAD,
} DfuUtilMode;

/* -s [ADDR][:MOD[:MOD...]] */
typedef struct {
  gboolean given;
  gboolean has_address;
  guint32  address;
  gboolean leave, mass_erase, unprotect, force, will_reset;
  gboolean has_length;
  guint32  length;
} DfuUtilDfuse;

typedef struct {
  DfuUtilMatch match;
  DfuUtilMode  mode;
  const gchar *file;          /* -D or -U */
  DfuUtilDfuse dfuse;
  guint        transfer_size; /* -t, 0: the device's */
  guint32      upload_size;   /* -Z: taken; dfu-util only sizes its progress bar with it */
  gboolean     reset;         /* -R (Arduino's -Q) */
  gboolean     wait;          /* -w */
} DfuUtilArgs;

/* the commands (defuse-compat-dfu-util-run.c); each returns the exit status */
int dfu_util_download (DfuUtilArgs *args);
int dfu_util_upload (DfuUtilArgs *args);
int dfu_util_detach (DfuUtilArgs *args);
int dfu_util_command (DfuUtilArgs *args);

/* the `Found DFU: [...] ...` lines of `dfu-util -l` (defuse-compat-dfu-util-list.c) */
void      dfu_util_print_list (GArray *entries);

/* dfu-util's exit status for an error of the engine */
int       dfu_util_exit_for_error (const GError *error);

/* --- dfu-programmer (defuse-compat-dfu-programmer*.c) -------------------- */

/* dfu-programmer 0.7's exit statuses (its src/arguments.h); 0.6 exits 1
 * for every failure, which scripts see as the same failure */
enum {
  DFU_PROGRAMMER_EXIT_UNSPECIFIED = 1,
  DFU_PROGRAMMER_EXIT_ARGUMENT = 2,
  DFU_PROGRAMMER_EXIT_DEVICE_ACCESS = 3,
  DFU_PROGRAMMER_EXIT_BUFFER_INIT = 4,    /* the hex file: unreadable, into the bootloader */
  DFU_PROGRAMMER_EXIT_FLASH_READ = 5,
  DFU_PROGRAMMER_EXIT_FLASH_WRITE = 6,
  DFU_PROGRAMMER_EXIT_VALIDATION = 7,
};

typedef enum {
  DFU_PROGRAMMER_ERASE,
  DFU_PROGRAMMER_FLASH,
  DFU_PROGRAMMER_READ,      /* read, dump, dump-eeprom */
  DFU_PROGRAMMER_LAUNCH,    /* launch, reset, start */
  DFU_PROGRAMMER_GET,
} DfuProgrammerCommand;

typedef struct {
  const DfFlipChip    *chip;        /* the target named on the command line */
  guint                bus, address;/* target:bus,addr; 0: any */
  DfuProgrammerCommand command;
  gboolean             quiet;
  gboolean             force;       /* erase: even if blank; read: the whole memory */
  gboolean             eeprom;
  gboolean             bin;         /* read: raw bytes, not Intel HEX */
  gboolean             no_reset;    /* launch: jump instead of a watchdog reset */
  gboolean             suppress_validation;
  gboolean             suppress_bootloader;
  guint8               get_group, get_index;   /* get: the configuration byte */
  const gchar         *get_label;              /* "Bootloader Version" */
  const gchar         *file;        /* flash: the hex file, "STDIN" for stdin */
  GBytes              *serial;      /* flash --serial=HEX:OFFSET: bytes written at */
  guint32              serial_offset;
} DfuProgrammerArgs;

/* defuse-compat-dfu-programmer-run.c: the command, done by the engine */
int dfu_programmer_run (DfuProgrammerArgs *args);
