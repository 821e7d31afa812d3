package calendar

// The time zone database is embedded (about 450 KB), so that a calendar
// naming Europe/Amsterdam loads on a machine or container image without
// /usr/share/zoneinfo. The system's database is still preferred when it is
// there; see time.LoadLocation.
import _ "time/tzdata"
