package oktaclient

import "strings"

// ContentRegion folds an ISO 3166-1 alpha-2 country code into Learnerbly's
// content region for it; any other code, or none, is the global region QQ.
// Learnerbly folds the contentRegion it receives by the same table, so
// sending the folded value keeps what it stores equal to what oktalms sent,
// and a listing of the LMS shows no change where nothing changed.
func ContentRegion(countryCode string) string {
	switch strings.ToUpper(strings.TrimSpace(countryCode)) {
	case "GB":
		return "GB"
	case "ES", "IT", "MT":
		return "ES"
	case "DE", "BE", "CH", "DK", "RO", "SI":
		return "DE"
	case "US", "CA":
		return "US"
	case "SE", "NO":
		return "SE"
	}
	return "QQ"
}
