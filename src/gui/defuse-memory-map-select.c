/* defuse-memory-map-select.c: the memory map's selected sector, which the
 * detail line and screen readers describe.  Keys move it (Left/Right,
 * Home/End in a memory, Up/Down between memories), a click sets it, and
 * the pointer's sector is described while it hovers. */
#include "defuse-config.h"

#include "defuse-memory-map-private.h"

enum {
  SIGNAL_SELECTION_CHANGED,
  N_SIGNALS,
};

static guint signals[N_SIGNALS];

static MapRow *
get_row (DefuseMemoryMap *self, gint row)
{
  return row >= 0 && (guint) row < self->rows->len ? g_ptr_array_index (self->rows, row) : NULL;
}

/* a row drawn as sectors: not a message, not a plain DFU download */
static gboolean
row_has_sectors (DefuseMemoryMap *self, gint row)
{
  MapRow *r = get_row (self, row);
  return r != NULL && r->message == NULL && r->sectors->len > 0;
}

static void
set_selection (DefuseMemoryMap *self, gint row, gint sector)
{
  if (row == self->sel_row && sector == self->sel_sector)
    return;
  self->sel_row = row;
  self->sel_sector = sector;
  _defuse_memory_map_update_words (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[SIGNAL_SELECTION_CHANGED], 0);
}

gboolean
defuse_memory_map_select (DefuseMemoryMap *self, guint row, guint sector)
{
  g_return_val_if_fail (DEFUSE_IS_MEMORY_MAP (self), FALSE);

  if (!row_has_sectors (self, row) || sector >= get_row (self, row)->sectors->len)
    return FALSE;
  set_selection (self, row, sector);
  return TRUE;
}

gboolean
defuse_memory_map_get_selected (DefuseMemoryMap *self, guint *row, guint *sector)
{
  g_return_val_if_fail (DEFUSE_IS_MEMORY_MAP (self), FALSE);

  if (self->sel_row < 0)
    return FALSE;
  if (row != NULL)
    *row = self->sel_row;
  if (sector != NULL)
    *sector = self->sel_sector;
  return TRUE;
}

const gchar *
defuse_memory_map_get_detail (DefuseMemoryMap *self)
{
  g_return_val_if_fail (DEFUSE_IS_MEMORY_MAP (self), NULL);
  return gtk_label_get_text (GTK_LABEL (self->detail_label));
}

void
_defuse_memory_map_reset_selection (DefuseMemoryMap *self)
{
  gint row = -1, sector = -1;

  self->hover_row = self->hover_sector = -1;
  if (row_has_sectors (self, self->sel_row) &&
      (guint) self->sel_sector < get_row (self, self->sel_row)->sectors->len)
    {
      row = self->sel_row;
      sector = self->sel_sector;
    }
  /* else the first sector the flash touches, where the user looks first */
  for (guint i = 0; row < 0 && i < self->rows->len; i++)
    {
      MapRow *r = g_ptr_array_index (self->rows, i);
      if (!row_has_sectors (self, i))
        continue;
      for (guint j = 0; sector < 0 && j < r->sectors->len; j++)
        if (g_array_index (r->sectors, MapSector, j).kind != DEFUSE_SECTOR_UNTOUCHED &&
            g_array_index (r->sectors, MapSector, j).kind != DEFUSE_SECTOR_BOOTLOADER)
          sector = j;
      row = i;
      sector = MAX (sector, 0);
    }
  /* a map with nothing to select is no Tab stop */
  gtk_widget_set_focusable (GTK_WIDGET (self), row >= 0);
  if (row == self->sel_row && sector == self->sel_sector)
    _defuse_memory_map_update_words (self);  /* same place, new plan: new words */
  else
    set_selection (self, row, sector);
}

/* Up/Down: the sector of the next memory under the middle of this one,
 * so the selection goes straight down the picture */
static gint
sector_below (DefuseMemoryMap *self, gint from_row, gint from_sector, gint to_row)
{
  MapRow *from = get_row (self, from_row), *to = get_row (self, to_row);
  MapSector *ms = &g_array_index (from->sectors, MapSector, from_sector);
  gfloat middle = ms->x + ms->width / 2;

  if (ms->width <= 0)  /* not allocated yet */
    return MIN ((guint) from_sector, to->sectors->len - 1);
  for (guint j = 0; j < to->sectors->len; j++)
    {
      MapSector *t = &g_array_index (to->sectors, MapSector, j);
      if (middle < t->x + t->width)
        return j;
    }
  return to->sectors->len - 1;
}

/* the next row drawn as sectors upwards (step -1) or downwards (+1) */
static gint
next_row (DefuseMemoryMap *self, gint step)
{
  for (gint i = self->sel_row + step; i >= 0 && (guint) i < self->rows->len; i += step)
    if (row_has_sectors (self, i))
      return i;
  return -1;
}

static gboolean
on_key_pressed (GtkEventControllerKey *controller, guint keyval, guint keycode, GdkModifierType state,
                DefuseMemoryMap *self)
{
  MapRow *row = get_row (self, self->sel_row);
  gint to_row, to_sector;

  if (row == NULL || (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SHIFT_MASK)) != 0)
    return FALSE;
  to_row = self->sel_row;
  switch (keyval)
    {
    case GDK_KEY_Left:
    case GDK_KEY_KP_Left:
      to_sector = MAX (self->sel_sector - 1, 0);
      break;
    case GDK_KEY_Right:
    case GDK_KEY_KP_Right:
      to_sector = MIN (self->sel_sector + 1, (gint) row->sectors->len - 1);
      break;
    case GDK_KEY_Home:
    case GDK_KEY_KP_Home:
      to_sector = 0;
      break;
    case GDK_KEY_End:
    case GDK_KEY_KP_End:
      to_sector = row->sectors->len - 1;
      break;
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
      to_row = next_row (self, keyval == GDK_KEY_Up || keyval == GDK_KEY_KP_Up ? -1 : 1);
      if (to_row < 0)
        to_row = self->sel_row;
      to_sector = to_row == self->sel_row ? self->sel_sector
                                          : sector_below (self, self->sel_row, self->sel_sector, to_row);
      break;
    default:
      return FALSE;
    }
  /* at an end the selection and the focus stay, as in GTK's lists */
  if (to_row == self->sel_row && to_sector == self->sel_sector)
    gtk_widget_error_bell (GTK_WIDGET (self));
  set_selection (self, to_row, to_sector);
  return TRUE;
}

gboolean
_defuse_memory_map_sector_at (DefuseMemoryMap *self, gdouble x, gdouble y, guint *row, guint *sector)
{
  for (guint i = 0; i < self->rows->len; i++)
    {
      MapRow *r = g_ptr_array_index (self->rows, i);
      gfloat bar_y = _defuse_memory_map_bar_y (self, r);

      if (!row_has_sectors (self, i) || y < bar_y || y >= bar_y + BAR_HEIGHT)
        continue;
      for (guint j = 0; j < r->sectors->len; j++)
        {
          MapSector *ms = &g_array_index (r->sectors, MapSector, j);
          if (x >= ms->x && x < ms->x + ms->width)
            {
              *row = i;
              *sector = j;
              return TRUE;
            }
        }
    }
  return FALSE;
}

static void
on_pressed (GtkGestureClick *gesture, gint n_press, gdouble x, gdouble y, DefuseMemoryMap *self)
{
  guint row, sector;

  if (!_defuse_memory_map_sector_at (self, x, y, &row, &sector))
    return;
  gtk_widget_grab_focus (GTK_WIDGET (self));
  set_selection (self, row, sector);
}

static void
set_hover (DefuseMemoryMap *self, gint row, gint sector)
{
  if (row == self->hover_row && sector == self->hover_sector)
    return;
  self->hover_row = row;
  self->hover_sector = sector;
  _defuse_memory_map_update_words (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_motion (GtkEventControllerMotion *motion, gdouble x, gdouble y, DefuseMemoryMap *self)
{
  guint row, sector;

  if (_defuse_memory_map_sector_at (self, x, y, &row, &sector))
    set_hover (self, row, sector);
  else
    set_hover (self, -1, -1);
}

static void
on_leave (GtkEventControllerMotion *motion, DefuseMemoryMap *self)
{
  set_hover (self, -1, -1);
}

void
_defuse_memory_map_class_init_selection (GtkWidgetClass *widget_class)
{
  /**
   * DefuseMemoryMap::selection-changed:
   *
   * The selected sector moved (keys, click, defuse_memory_map_select() or
   * a new plan); defuse_memory_map_get_selected() says where.
   */
  signals[SIGNAL_SELECTION_CHANGED] =
    g_signal_new ("selection-changed", G_TYPE_FROM_CLASS (widget_class), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

void
_defuse_memory_map_init_selection (DefuseMemoryMap *self)
{
  GtkEventController *key = gtk_event_controller_key_new ();
  GtkGesture *click = gtk_gesture_click_new ();
  GtkEventController *motion = gtk_event_controller_motion_new ();

  self->sel_row = self->sel_sector = -1;
  self->hover_row = self->hover_sector = -1;
  g_signal_connect (key, "key-pressed", G_CALLBACK (on_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), key);
  g_signal_connect (click, "pressed", G_CALLBACK (on_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
}
