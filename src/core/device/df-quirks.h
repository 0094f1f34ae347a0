/* df-quirks.h: devices that do not say the truth about themselves, and
 * what the field has learnt to do about it (DESIGN.md section 3).
 *
 * The knowledge is data, not code: data/quirks/defuse.quirk (built into
 * the engine as a GResource), then every *.quirk file in the user's
 * ~/.config/defuse/quirks.d/ (or in $DEFUSE_QUIRKS_DIR when set, which
 * tests use), in name order.  A later entry with the same [name] changes
 * the keys it gives; "enabled=false" switches an entry off; a key given
 * with an empty value unsets that quirk.  The file format is described at
 * the top of data/quirks/defuse.quirk.  The engine asks only this table. */
#pragma once

#include "df-device.h"

G_BEGIN_DECLS

/* How a device answers a GETSTATUS sent before the work it started is
 * done (the "early status").  The status-polling code reads this. */
typedef enum {
  DF_EARLY_STATUS_SPEC = 0,     /* not known: wait the bwPollTimeout it reports, as DFU 1.1 says */
  DF_EARLY_STATUS_HOLD,         /* holds (NAKs) the request until done: ask at once (STM32F2/F4/F7 ROMs) */
  DF_EARLY_STATUS_ANSWER_BUSY,  /* answers dfuDNBUSY again until done: ask again (STM32H7, mboot) */
  DF_EARLY_STATUS_STALL,        /* stalls the request while busy: retry the status (STM32L4/F0) */
} DfEarlyStatus;

/* what protocol to speak, when the descriptors alone mislead */
typedef enum {
  DF_QUIRK_PROTOCOL_AUTO = 0,   /* DfuSe if bcdDFUVersion is 0x011a or alt 0 names a layout */
  DF_QUIRK_PROTOCOL_DFU,        /* plain DFU 1.1 whatever the descriptors say */
  DF_QUIRK_PROTOCOL_DFUSE,
  DF_QUIRK_PROTOCOL_FLIP,       /* Atmel's FLIP v1 (AVR keyboards); the chip from the id */
} DfQuirkProtocol;

/* one table entry that applies to a device, and why */
typedef struct {
  gchar *entry;     /* its [name] in the table */
  gchar *origin;    /* "built-in" or the user file that added or changed it */
  gchar *reason;    /* what matched: "28e9:0189, bcdDevice 0x1000, serial “3CBJ” is “3??J”" */
  gchar *settings;  /* what it sets: "serial-encoding=8bit, leave-without-status=true" */
} DfQuirkMatch;

/* Everything the table says about one device; defaults mean "as the
 * descriptors say, as the specification says". */
struct _DfQuirks {
  gint            ref_count;
  DfEarlyStatus   early_status;
  gdouble         poll_timeout_factor;    /* the real busy time per reported bwPollTimeout (1.0) */
  gdouble         erase_ms_per_kib;       /* expected busy time erasing 1 KiB, 0: not known */
  gdouble         write_ms_per_kib;       /* expected busy time programming 1 KiB, 0: not known */
  guint           max_transfer_size;      /* largest DNLOAD/UPLOAD it takes, 0: wTransferSize */
  gboolean        serial_8bit;            /* the serial string holds raw 8-bit characters */
  gchar          *layout;                 /* replaces alt 0's reported layout, NULL: keep */
  gboolean        leave_without_status;   /* gone at the zero-length DNLOAD: send no GETSTATUS */
  guint32         clear_twice_after_erase_from; /* an erase at or above this address can leave
                                                 * it wedged in dfuDNBUSY (0: never)... */
  guint           clear_twice_after_ms;   /* ...said when it is busy this long: CLRSTATUS twice */
  gboolean        clear_status_only_in_error; /* CLRSTATUS stalls outside dfuERROR */
  gboolean        set_address_before_leave;
  gboolean        blank_needs_no_erase;   /* no flash ECC: a sector that reads erased can be written as it is */
  gboolean        serial_not_unique;      /* every part reports the same serial: tell them apart by port */
  gboolean        returns_in_dfu_after_leave; /* comes back in DFU mode until power-cycled */
  DfQuirkProtocol protocol;
  GPtrArray      *matches;                /* of DfQuirkMatch, in table order */
};

DfQuirks    *df_quirks_new (void);
DfQuirks    *df_quirks_ref (DfQuirks *quirks);
void         df_quirks_unref (DfQuirks *quirks);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DfQuirks, df_quirks_unref)

/* what the table says about a device as enumeration read it (strings and
 * alt names included); never NULL */
DfQuirks    *df_quirks_lookup (DfDevice *device);
/* looks the device up, stores the result in device->quirks and applies
 * what changes the device's description: layout and protocol (the rest is
 * read where it matters; a smaller transfer size by df_usb_connect).
 * reread_serial (may be NULL) is called when the table says the serial is
 * 8-bit and returns the serial read that way. */
typedef gchar *(*DfQuirkSerialFunc) (gpointer user_data);
void         df_quirks_apply (DfDevice *device, DfQuirkSerialFunc reread_serial, gpointer user_data);

const gchar *df_early_status_to_string (DfEarlyStatus early_status);

/* The table as loaded: every entry name in order.  Problems with user
 * files (unreadable, unknown keys) are collected, not fatal; strict
 * checking of a file is for tests and for users who edit one. */
gchar      **df_quirk_table_entry_names (void);
gboolean     df_quirk_table_check_data (const gchar *data, gsize length, GError **error);
/* messages about user files that were skipped in whole or in part */
const gchar * const *df_quirk_table_warnings (void);

G_END_DECLS
